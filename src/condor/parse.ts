/** Parsers for the output of condor_submit -terse and condor_q / condor_history -json. */
import { parseAdsText } from './json-ads.js';

/** A ClassAd as condor_q -json prints it: undefined values are null, non-literal expressions strings. */
export type JobAd = Record<string, unknown>;

export interface SubmittedRange {
  clusterId: number;
  firstProc: number;
  lastProc: number;
}

const TERSE_LINE = /^(\d+)\.(\d+) - (\d+)\.(\d+)$/;

/**
 * `condor_submit -terse` prints one `C.first - C.last` line per cluster created.
 * Throws when stdout holds anything else, so a changed output format cannot be misread as success.
 */
export function parseSubmitTerse(stdout: string): SubmittedRange[] {
  const ranges: SubmittedRange[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = TERSE_LINE.exec(line);
    if (!m) throw new Error(`unexpected condor_submit -terse output: ${JSON.stringify(line.slice(0, 200))}`);
    const [, c1, p1, c2, p2] = m;
    if (c1 !== c2) throw new Error(`condor_submit -terse range spans clusters: ${line}`);
    ranges.push({ clusterId: Number(c1), firstProc: Number(p1), lastProc: Number(p2) });
  }
  return ranges;
}

/** Expands ranges into `C.P` job ids in submission order. */
export function jobIdsOf(ranges: readonly SubmittedRange[]): string[] {
  const ids: string[] = [];
  for (const r of ranges) for (let p = r.firstProc; p <= r.lastProc; p++) ids.push(`${r.clusterId}.${p}`);
  return ids;
}

/**
 * `condor_q -json` / `condor_history -json` output held whole (small answers). No match prints nothing at all
 * (not `[]`), and an empty history can print `[` `]` on two lines: both are an empty list. Large answers are
 * read ad by ad while they arrive (json-ads.ts, the same reader).
 */
export function parseJsonAds(stdout: string, tool = 'condor'): JobAd[] {
  return parseAdsText(tool, stdout);
}

/** `-jsonl`: one ad per line. */
export function parseJsonLines(stdout: string): JobAd[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as JobAd);
}

/** Reads an attribute as a number; null/absent/expression strings give undefined. */
export function adNumber(ad: JobAd, name: string): number | undefined {
  const v = ad[name];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

export function adString(ad: JobAd, name: string): string | undefined {
  const v = ad[name];
  if (typeof v !== 'string') return undefined;
  // Non-literal expressions come as "/Expr(...)/" strings: not a value.
  if (v.startsWith('/Expr(') && v.endsWith(')/')) return undefined;
  return v;
}

export function adBool(ad: JobAd, name: string): boolean | undefined {
  const v = ad[name];
  return typeof v === 'boolean' ? v : undefined;
}
