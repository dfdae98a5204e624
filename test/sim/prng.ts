/**
 * The simulation's one source of chance. Every random choice of a schedule (the world's plan, latencies,
 * faults, job outcomes, crash points) and the operator's own Random draw from one seeded stream
 * (test/support/random.ts), so a seed replays exactly.
 */
import type { Random } from '../../src/runtime/clock.js';
import { seededRandom } from '../support/random.js';

export class Prng {
  readonly #next: Random;
  /** How many numbers were drawn: printed in traces to spot a divergence when a replay does not match. */
  draws = 0;

  constructor(readonly seed: number) {
    this.#next = seededRandom(seed);
  }

  /** A number in [0, 1). */
  next(): number {
    this.draws++;
    return this.#next();
  }

  /** The same stream as a Random (the operator's jitter). */
  readonly random: Random = () => this.next();

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A duration in ms between lo and hi, skewed towards lo (most calls are fast, a few are slow). */
  latency(lo: number, hi: number): number {
    const u = this.next();
    return Math.round(lo + (hi - lo) * u * u * u);
  }

  /** One of the keys of `weights`, chosen with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let u = this.next() * total;
    for (const [k, w] of entries) {
      if (u < w) return k;
      u -= w;
    }
    return (entries[entries.length - 1] as [K, number])[0];
  }
}
