/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every run and
 * every machine, so a test or a simulated schedule that draws jitter replays exactly. Not for cryptography.
 */
import type { Random } from '../../src/runtime/clock.js';

/** A Random (numbers in [0, 1)) drawn from a 32-bit seed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Random that always returns `value`: jitter becomes a known constant in a unit test. */
export function fixedRandom(value: number): Random {
  if (!(value >= 0 && value < 1)) throw new RangeError(`fixedRandom: ${value} is not in [0, 1)`);
  return () => value;
}
