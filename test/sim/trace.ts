/**
 * What happened in a schedule, for a human reading a failure: virtual time, who (a replica, the user, a
 * model), what kind of thing (a port call, its reply, a fault, a status change) and a short text. Kept in a
 * ring of the last entries during a hunt (cheap), in full when replaying one seed with --trace.
 */
import { SIM_EPOCH } from './scheduler.js';

export type TraceKind =
  'call' | 'reply' | 'fault' | 'status' | 'user' | 'condor' | 'site' | 'process' | 'check' | 'log';

export interface TraceEntry {
  at: number;
  who: string;
  kind: TraceKind;
  text: string;
}

export class Trace {
  #entries: TraceEntry[] = [];
  /** How often each notable thing happened (faults that struck, crashes, conflicts): the hunt's coverage. */
  readonly counts = new Map<string, number>();
  #next = 0;
  #count = 0;

  /** `limit` entries are kept (the last ones); Infinity keeps everything. */
  constructor(
    readonly now: () => number,
    readonly limit = 400,
  ) {}

  get full(): boolean {
    return this.limit === Infinity;
  }

  count(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  add(who: string, kind: TraceKind, text: string): void {
    const e = { at: this.now(), who, kind, text };
    this.#count++;
    if (this.#entries.length < this.limit) {
      this.#entries.push(e);
      return;
    }
    this.#entries[this.#next] = e;
    this.#next = (this.#next + 1) % this.#entries.length;
  }

  /** The kept entries, oldest first. */
  entries(): TraceEntry[] {
    return [...this.#entries.slice(this.#next), ...this.#entries.slice(0, this.#next)];
  }

  /** Readable lines: `+mm:ss.mmm who kind text`. */
  format(): string {
    const lines = this.entries().map(formatEntry);
    const dropped = this.#count - this.#entries.length;
    if (dropped > 0) lines.unshift(`... ${dropped} earlier entries not kept (replay with --trace for all)`);
    return lines.join('\n');
  }
}

export function virtualTime(at: number): string {
  const ms = Math.floor(at - SIM_EPOCH);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const frac = String(ms % 1000).padStart(3, '0');
  return `+${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${frac}`;
}

function formatEntry(e: TraceEntry): string {
  return `${virtualTime(e.at)} ${e.who.padEnd(10)} ${e.kind.padEnd(7)} ${e.text}`;
}
