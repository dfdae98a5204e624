/**
 * Rate limiters with client-go's semantics (k8s.io/client-go/util/workqueue/default_rate_limiters.go):
 * `when(item)` says how long to wait before the item may be processed again, `forget(item)` resets it.
 * Time and chance come from an injected Clock and Random, so that the simulation replays them exactly.
 */
import { systemClock, systemRandom, type Clock, type Random } from './clock.js';

export interface RateLimiter<T> {
  /** Delay in ms before `item` may be retried; records one more failure. */
  when(item: T): number;
  forget(item: T): void;
  /** Failures recorded for `item` since it was last forgotten. */
  numRequeues(item: T): number;
}

/** base × 2^failures, capped at max: 5 ms, 10 ms, 20 ms, ... up to ~16.7 min by default. */
export class ItemExponentialRateLimiter<T> implements RateLimiter<T> {
  readonly #failures = new Map<T, number>();

  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}

  when(item: T): number {
    const n = this.#failures.get(item) ?? 0;
    this.#failures.set(item, n + 1);
    const delay = this.baseMs * 2 ** n;
    return Number.isFinite(delay) ? Math.min(delay, this.maxMs) : this.maxMs;
  }

  forget(item: T): void {
    this.#failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.#failures.get(item) ?? 0;
  }
}

/** A token bucket shared by all items: `qps` tokens a second, at most `burst` saved up. */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  #tokens: number;
  #last: number;

  readonly #clock: Clock;

  constructor(
    readonly qps = 10,
    readonly burst = 100,
    clock: Clock = systemClock,
  ) {
    this.#clock = clock;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  when(_item: T): number {
    const t = this.#clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) / 1000) * this.qps);
    this.#last = t;
    // Reserve a token even if it is not there yet: the delay is how long until it will be.
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.qps) * 1000;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  readonly #limiters: RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.#limiters = limiters;
  }

  when(item: T): number {
    return Math.max(0, ...this.#limiters.map((l) => l.when(item)));
  }

  forget(item: T): void {
    this.#limiters.forEach((l) => l.forget(item));
  }

  numRequeues(item: T): number {
    return Math.max(0, ...this.#limiters.map((l) => l.numRequeues(item)));
  }
}

/** client-go's DefaultControllerRateLimiter: per item 5 ms .. 1000 s, and 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter<T>(clock: Clock = systemClock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(
    new ItemExponentialRateLimiter<T>(5, 1_000_000),
    new BucketRateLimiter<T>(10, 100, clock),
  );
}

/**
 * client-go's wait.Jitter: `ms` plus up to `maxFactor` × `ms` more, drawn from `random`. Spreads retries of
 * many replicas or watches so they do not hit the API server in step.
 */
export function jitter(ms: number, maxFactor: number, random: Random = systemRandom): number {
  return ms * (1 + random() * maxFactor);
}

/**
 * Exponential backoff for restarting a failed loop: base × 2^(failures-1), capped, then spread by ±spread
 * (0.2: 80 % .. 120 %). failures counts from 1.
 */
export function backoffDelay(
  failures: number,
  o: { baseMs: number; maxMs: number; spread: number },
  random: Random = systemRandom,
): number {
  const base = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, failures - 1));
  return base * (1 - o.spread + random() * 2 * o.spread);
}
