/**
 * STAND-IN: a keyed work queue: a key is never processed twice at once, changes while it is processed
 * bring it back once, and `after` requeues it later.
 */
import type { Clock, Timer } from '../../../src/runtime/clock.js';

export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly timers = new Map<string, Timer>();
  #stopped = false;

  /** True once stop() ran: a reconcile still in flight from before must not start new work. */
  get stopped(): boolean {
    return this.#stopped;
  }
  #running = 0;

  constructor(
    readonly clock: Clock,
    readonly workers: number,
    readonly handle: (key: string) => Promise<void>,
  ) {}

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#pending.add(key);
    this.#pump();
  }

  after(key: string, ms: number): void {
    if (this.#stopped) return;
    this.timers.get(key)?.cancel();
    this.timers.set(
      key,
      this.clock.after(ms, () => {
        this.timers.delete(key);
        this.add(key);
      }),
    );
  }

  forget(key: string): void {
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.#pending.clear();
  }

  #pump(): void {
    while (this.#running < this.workers && this.#pending.size) {
      const key = this.#pending.values().next().value as string;
      this.#pending.delete(key);
      this.#active.add(key);
      this.#running++;
      void this.handle(key)
        .catch(() => this.after(key, 5_000))
        .finally(() => {
          this.#running--;
          this.#active.delete(key);
          if (this.#dirty.delete(key)) this.#pending.add(key);
          this.#pump();
        });
    }
  }
}
