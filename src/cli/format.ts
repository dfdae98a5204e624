/** Text output of kubectl-hpc: tables, durations and ages the way kubectl prints them, JSON and YAML. */
import { stringify } from 'yaml';
import { jsonpath } from './jsonpath.js';

/** Columns separated by three spaces, as `kubectl get` does; trailing blanks trimmed. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}

/** Indents every line of `text` by `n` spaces (for tables inside describe). */
export function indent(text: string, n = 2): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}

/**
 * A duration in kubectl's short form (k8s.io/apimachinery HumanDuration): `45s`, `3m10s`, `12m`, `5h3m`,
 * `30h`, `3d4h`, `40d`, `2y`. The same rules as the AGE column, so both read alike.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24);
    const years = Math.floor(days / 365);
    return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Age of a timestamp (RFC 3339) relative to `now`; '' when there is none or it does not parse. */
export function age(timestamp: string | undefined, now: number = Date.now()): string {
  const t = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isNaN(t) ? '' : humanDuration(now - t);
}

/** Time between two timestamps, '' unless both are there. */
export function between(start: string | undefined, end: string | undefined): string {
  const a = start ? Date.parse(start) : NaN;
  const b = end ? Date.parse(end) : NaN;
  return Number.isNaN(a) || Number.isNaN(b) ? '' : humanDuration(b - a);
}

/** A time for tables: RFC 3339 in UTC to the second, e.g. 2025-03-01T14:05:09Z. */
export function shortTime(timestamp: string | undefined): string {
  const t = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isNaN(t) ? '' : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `when (3m ago)` or `when (in 20s)`, for one-off times in describe. */
export function timeWithAge(timestamp: string | undefined, now: number = Date.now()): string {
  const t = timestamp ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(t)) return '';
  const rel = t > now ? `in ${humanDuration(t - now)}` : `${humanDuration(now - t)} ago`;
  return `${shortTime(timestamp)} (${rel})`;
}

/** One line, at most `max` characters: messages in table cells must not break the table. */
export function oneLine(text: string | undefined, max = 80): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `jsonpath=` takes its template after the `=` (args.ts reads a choice ending in `=` as a prefix). */
export const OUTPUT_FORMATS = ['json', 'yaml', 'jsonpath='] as const;
export type OutputFormat = 'json' | 'yaml' | `jsonpath=${string}`;

/** Machine-readable output: JSON as kubectl prints it (2-space indent), YAML, or a JSONPath template. */
export function render(value: unknown, format: OutputFormat): string {
  if (format.startsWith('jsonpath=')) return jsonpath(format.slice('jsonpath='.length), value);
  return format === 'json' ? JSON.stringify(value, null, 2) + '\n' : stringify(value);
}

/** kubectl's `-o name`: `<kind>.<group>/<name>`, one per line. */
export function names(
  objects: readonly { kind?: string; apiVersion?: string; metadata: { name: string } }[],
): string {
  return objects
    .map((o) => `${(o.kind ?? '').toLowerCase()}.${(o.apiVersion ?? '').split('/')[0]}/${o.metadata.name}\n`)
    .join('');
}

/**
 * `label` then `text` wrapped at `width`, later lines indented under the text: long explanations in a
 * terminal without a pager.
 */
export function labelled(label: string, text: string, labelWidth = 16, width = 100): string {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && labelWidth + line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  const pad = ' '.repeat(labelWidth);
  return (
    lines.map((l, i) => (i === 0 ? `${label}:`.padEnd(labelWidth - 1) + ' ' : pad) + l).join('\n') + '\n'
  );
}

/** A word as a POSIX shell would need it quoted, so the command line reads as it would be typed. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
