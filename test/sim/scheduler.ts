/**
 * The discrete-event loop of the simulation. Virtual time moves only when nothing is runnable: after each
 * event the loop lets every promise continuation run (one macrotask turn drains Node's microtask and
 * nextTick queues completely), then takes the next event in (time, insertion) order. The operator under
 * simulation never sees a real timer: each replica gets a Clock view whose timers are events owned by that
 * replica, so a crashed replica's timers are dropped with it.
 */
import type { Clock, Timer } from '../../src/runtime/clock.js';

/** 2026-01-01T00:00:00Z: virtual time starts here, so timestamps in traces do not vary between runs. */
export const SIM_EPOCH = Date.UTC(2026, 0, 1);

interface SimEvent {
  at: number;
  seq: number;
  owner: string | undefined;
  fn: () => void;
  cancelled: boolean;
}

/** How often (virtual ms) a run's stop condition is checked. */
const STOP_CHECK_MS = 1000;

export interface RunOptions {
  /** Stop once virtual time would pass this (absolute ms). */
  until: number;
  /** Checked once per virtual second (and at the start): true stops the run. */
  stop?: () => boolean;
  /** Called after every event once promises settled (invariant checks). */
  afterEvent?: () => void;
}

/** Lets every promise continuation that is ready run: a macrotask turn drains the microtask queue. */
export function drain(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * The same without an event-loop turn (one per event was a quarter of a schedule's time): Node runs a
 * process.nextTick callback only once the microtask queue is empty (processTicksAndRejections drains every
 * microtask, also those queued while draining, before it looks at the tick queue again). So a tick queued
 * from a microtask resolves when every ready continuation has run.
 */
export function settle(): Promise<void> {
  return new Promise<void>((resolve) => queueMicrotask(() => process.nextTick(resolve)));
}

export class Scheduler {
  #now = SIM_EPOCH;
  #seq = 0;
  #heap: SimEvent[] = [];
  #dead = new Set<string>();
  /** Events run so far (a measure of a schedule's size). */
  steps = 0;
  /** What threw out of an event callback (a timer of the operator): an uncaught exception in a real process. */
  readonly uncaught: { owner: string | undefined; error: unknown }[] = [];

  now(): number {
    return this.#now;
  }

  /** Runs `fn` `delayMs` from now; owned events die with their owner. */
  schedule(delayMs: number, fn: () => void, owner?: string): Timer {
    const ev: SimEvent = {
      at: this.#now + Math.max(0, delayMs),
      seq: this.#seq++,
      owner,
      fn,
      cancelled: false,
    };
    this.#push(ev);
    return { cancel: () => void (ev.cancelled = true) };
  }

  /** Drops every pending and future event of `owner` (a crashed replica). */
  kill(owner: string): void {
    this.#dead.add(owner);
  }

  isDead(owner: string): boolean {
    return this.#dead.has(owner);
  }

  /** The Clock a replica sees: its timers are events it owns. */
  clockFor(owner: string): Clock {
    const after = (ms: number, fn: () => void): Timer => this.schedule(ms, fn, owner);
    return {
      now: () => this.#now,
      after,
      sleep: (ms, signal) =>
        new Promise<void>((resolve) => {
          if (signal?.aborted) return resolve();
          const timer = after(ms, done);
          signal?.addEventListener('abort', done, { once: true });
          function done(): void {
            timer.cancel();
            signal?.removeEventListener('abort', done);
            resolve();
          }
        }),
    };
  }

  /** When the next live event is due, or undefined. */
  nextAt(): number | undefined {
    this.#skipDead();
    return this.#heap[0]?.at;
  }

  async run(o: RunOptions): Promise<'until' | 'stopped'> {
    await drain();
    // Stop conditions look at the whole world (every object, every replica's memory): checking them once a
    // virtual second, not after every event, keeps a schedule cheap.
    let checkedAt = -Infinity;
    for (;;) {
      if (o.stop && this.#now - checkedAt >= STOP_CHECK_MS) {
        checkedAt = this.#now;
        if (o.stop()) return 'stopped';
      }
      this.#skipDead();
      const ev = this.#heap[0];
      if (!ev || ev.at > o.until) {
        this.#now = o.until;
        return 'until';
      }
      this.#pop();
      this.#now = ev.at;
      this.steps++;
      try {
        ev.fn();
      } catch (error) {
        this.uncaught.push({ owner: ev.owner, error });
      }
      await settle();
      o.afterEvent?.();
    }
  }

  #skipDead(): void {
    for (let ev = this.#heap[0]; ev; ev = this.#heap[0]) {
      if (!ev.cancelled && !(ev.owner !== undefined && this.#dead.has(ev.owner))) return;
      this.#pop();
    }
  }

  // A binary min-heap on (at, seq): ties keep insertion order, so a schedule is reproducible.
  #less(a: SimEvent, b: SimEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(ev: SimEvent): void {
    const h = this.#heap;
    h.push(ev);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i] as SimEvent, h[p] as SimEvent)) break;
      [h[i], h[p]] = [h[p] as SimEvent, h[i] as SimEvent];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l] as SimEvent, h[m] as SimEvent)) m = l;
      if (r < h.length && this.#less(h[r] as SimEvent, h[m] as SimEvent)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as SimEvent, h[i] as SimEvent];
      i = m;
    }
  }
}
