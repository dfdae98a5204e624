/**
 * A flush timer that lingers: each request pushes the flush `lingerMs` further out, but never past
 * `maxLingerMs` after the first request of the burst, so a mass change is one batch and a trickle still flows.
 */
import type { Clock, Timer } from '../runtime/clock.js';

export interface LingerOptions {
  lingerMs: number;
  maxLingerMs: number;
}

export class Linger {
  #timer: Timer | undefined;
  #firstAt: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly o: LingerOptions,
    private readonly fire: () => void,
  ) {}

  /** A request arrived: (re)arm the timer. */
  arm(): void {
    const now = this.clock.now();
    this.#firstAt ??= now;
    const due = Math.min(now + this.o.lingerMs, this.#firstAt + this.o.maxLingerMs);
    this.#timer?.cancel();
    this.#timer = this.clock.after(Math.max(0, due - now), () => {
      this.#reset();
      this.fire();
    });
  }

  /** Cancels a pending flush (the caller flushes now, or stops); true when one was pending. */
  cancel(): boolean {
    const armed = this.#timer !== undefined;
    this.#timer?.cancel();
    this.#reset();
    return armed;
  }

  #reset(): void {
    this.#timer = undefined;
    this.#firstAt = undefined;
  }
}
