/** Quantities and durations as the CRDs write them, converted to what HTCondor and timers need. */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Bytes in a quantity such as `512Mi`, `4Gi`, `2G` or `1000` (int-or-string). */
export function quantityBytes(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity ${JSON.stringify(q)}`);
  const value = Number(m[1]);
  const unit = m[2];
  const factor = unit === undefined ? 1 : (BINARY[unit] ?? DECIMAL[unit] ?? 1);
  return value * factor;
}

/** MiB, rounded up (HTCondor request_memory). */
export function quantityMiB(q: string | number): number {
  return Math.max(1, Math.ceil(quantityBytes(q) / 2 ** 20));
}

/** KiB, rounded up (HTCondor request_disk). */
export function quantityKiB(q: string | number): number {
  return Math.max(1, Math.ceil(quantityBytes(q) / 2 ** 10));
}

/** Formats MiB back as a quantity string (for status). */
export function mibQuantity(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in a duration such as `90s`, `1h30m`, `2d`. */
export function durationMs(d: string): number {
  const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  for (const m of d.matchAll(re)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== d.length) throw new Error(`invalid duration ${JSON.stringify(d)}`);
  return total;
}

/**
 * Largest memory or disk request passed on: 1 PiB. HTCondor reads request_memory (MiB) and request_disk (KiB)
 * through a byte count and is off by one above 2^33 MiB and negative above 2^43 MiB.
 */
export const MAX_QUANTITY_BYTES = 2 ** 50;
/** Longest duration passed on: 2^31-1 s (about 68 years), what HTCondor's integer settings can hold. */
export const MAX_DURATION_SECONDS = 2 ** 31 - 1;

/** Why a quantity cannot be passed on (not positive, or over MAX_QUANTITY_BYTES); undefined when it can. */
export function quantityProblem(q: string | number): string | undefined {
  let bytes: number;
  try {
    bytes = quantityBytes(q);
  } catch {
    return 'is not a quantity';
  }
  if (!(bytes > 0)) return 'must be more than 0';
  if (!(bytes <= MAX_QUANTITY_BYTES)) return 'must be at most 1Pi';
  return undefined;
}

/** Why a duration cannot be passed on (not positive, or over MAX_DURATION_SECONDS); undefined when it can. */
export function durationProblem(d: string): string | undefined {
  let ms: number;
  try {
    ms = durationMs(d);
  } catch {
    return 'is not a duration';
  }
  if (!(ms > 0)) return 'must be more than 0';
  if (!(ms / 1000 <= MAX_DURATION_SECONDS)) return `must be at most ${MAX_DURATION_SECONDS}s`;
  return undefined;
}
