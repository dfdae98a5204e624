/**
 * A Clock that moves only when told to: unit tests and the simulation (test/sim) drive timers, sleeps and
 * deadlines of the real code without waiting. Timers fire in time order, timers due at the same instant in
 * the order they were set (so a run is reproducible). Dependency-free on purpose: the simulation builds on it.
 */
import type { Clock, Timer } from '../../src/runtime/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** 2026-01-01T00:00:00Z: a fixed start, so that timestamps in test output do not vary from run to run. */
export const MANUAL_CLOCK_START = Date.UTC(2026, 0, 1);

export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  /** Sorted by (at, seq). */
  #timers: Pending[] = [];

  constructor(start = MANUAL_CLOCK_START) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): Timer {
    const t: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    // Insert after every timer due at or before t.at: ties keep insertion order.
    let i = this.#timers.length;
    while (i > 0 && (this.#timers[i - 1] as Pending).at > t.at) i--;
    this.#timers.splice(i, 0, t);
    return {
      cancel: () => {
        const j = this.#timers.indexOf(t);
        if (j >= 0) this.#timers.splice(j, 1);
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = this.after(ms, done);
      signal?.addEventListener('abort', done, { once: true });
      function done(): void {
        timer.cancel();
        signal?.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (also those set by a timer that
   * fires), each at its own instant. Synchronous: promise continuations run after it returns; use
   * advanceAsync when the code under test awaits between timers.
   */
  advance(ms: number): void {
    const target = this.#now + Math.max(0, ms);
    for (let t = this.#due(target); t; t = this.#due(target)) {
      this.#now = t.at;
      t.fn();
    }
    this.#now = target;
  }

  /**
   * Like advance, but lets promise continuations run after every timer (and before the first), so that code
   * which sleeps, awaits a fake API call, then sleeps again makes its whole way through `ms`.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms);
    await flushPromises();
    for (let t = this.#due(target); t; t = this.#due(target)) {
      this.#now = t.at;
      t.fn();
      await flushPromises();
    }
    this.#now = target;
    await flushPromises();
  }

  /** When the next timer falls due, or undefined when none is set. */
  nextTimerAt(): number | undefined {
    return this.#timers[0]?.at;
  }

  /** How many timers are set and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.#timers.length;
  }

  /** Removes and returns the first timer due at or before `target`. */
  #due(target: number): Pending | undefined {
    const first = this.#timers[0];
    if (!first || first.at > target) return undefined;
    this.#timers.shift();
    return first;
  }
}

/**
 * Lets every promise continuation that is ready run (a macrotask turn drains the microtask queue, and a few
 * turns let chains of awaits settle). Not a timed wait: nothing here depends on the wall clock.
 */
export async function flushPromises(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
