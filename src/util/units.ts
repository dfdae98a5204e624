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
