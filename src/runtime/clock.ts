/**
 * Time and chance, injected. Everything in the operator that waits, schedules or draws a random number goes
 * through a Clock and a Random, so that the deterministic simulation (test/sim) can run the real code on a
 * virtual clock with a seeded generator, and a failing schedule replays exactly.
 */

/** A scheduled callback that can be cancelled. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`. The timer never keeps the process alive on its own. */
  after(ms: number, fn: () => void): Timer;
  /** Resolves after `ms`; early (without rejecting) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A number in [0, 1), like Math.random. */
export type Random = () => number;

/** The wall clock and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, Math.max(0, ms));
      t.unref();
      signal?.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
    });
  },
};

export const systemRandom: Random = Math.random;

/** A repeating timer on `clock` (re-armed after each run); cancel() stops it. */
export function every(clock: Clock, ms: number, fn: () => void): Timer {
  let cancelled = false;
  let current: Timer | undefined;
  const arm = (): void => {
    current = clock.after(ms, () => {
      if (cancelled) return;
      fn();
      arm();
    });
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      current?.cancel();
    },
  };
}
