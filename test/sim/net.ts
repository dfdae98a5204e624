/**
 * Port calls between a replica and a model, with the process model's crash semantics. A call is planned by
 * the model when it is issued (when it will be served, and what serving does), served at that virtual time
 * (the effect happens then), and its reply delivered after an optional delay (a submit that commits and then
 * times out). A crash can happen when a call is issued (the request never leaves) or when its reply arrives
 * (the effect happened, nobody hears of it); a call still in flight when its replica dies takes effect at
 * that instant or never, drawn from the PRNG (a killed condor_submit either reached the commit or not).
 */
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { Trace } from './trace.js';

export interface Reply<T> {
  ok: boolean;
  value?: T;
  error?: unknown;
  /** From serving to the reply reaching the caller (ms). */
  delayMs?: number;
}

export const ok = <T>(value: T, delayMs = 0): Reply<T> => ({ ok: true, value, delayMs });
export const fail = (error: unknown, delayMs = 0): Reply<never> => ({ ok: false, error, delayMs });

export interface CallPlan<T> {
  /** From issue to the model serving it (ms). */
  serveInMs: number;
  /** Applies the call to the model (at serve time) and says what the caller gets. */
  serve: () => Reply<T>;
}

/** What a call is about, for the trace and the invariants (the condor port fills `condor`). */
export interface CallMeta {
  port: string;
  text: string;
  /** The reply is secret: the trace says only that it came. */
  secret?: boolean;
  condor?: CondorCallInfo;
}

export interface CondorCallInfo {
  /** The schedd label, or `collector:<pool>`. */
  target: string;
  action: string;
  /** Tenants (namespaces) the call is for; undefined: every tenant (an operator-wide selector). */
  tenants?: ReadonlySet<string>;
  uids?: readonly string[];
  jobIds?: readonly string[];
}

export interface InFlight {
  readonly meta: CallMeta;
  served: boolean;
  /** Serves it now (its effect happens) without telling the caller. */
  serveNow(): void;
  /** Forgets it: the effect never happens. */
  drop(): void;
}

/** The part of a replica the network needs. */
export interface Caller {
  readonly name: string;
  alive: boolean;
  readonly inflight: Set<InFlight>;
  /** Counts issues and replies; returns true when the replica crashes at this point. */
  crashPoint(what: string): boolean;
}

export interface NetListener {
  onIssue?(caller: Caller, meta: CallMeta): void;
  onServe?(caller: Caller, meta: CallMeta): void;
  onSettle?(caller: Caller, meta: CallMeta): void;
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export class Net {
  readonly listeners: NetListener[] = [];

  constructor(
    readonly sched: Scheduler,
    readonly prng: Prng,
    readonly trace: Trace,
  ) {}

  call<T>(caller: Caller, meta: CallMeta, plan: () => CallPlan<T>, signal?: AbortSignal): Promise<T> {
    if (!caller.alive) return never();
    this.trace.add(caller.name, 'call', `${meta.port} ${meta.text}`);
    if (caller.crashPoint(`issuing ${meta.port} ${meta.text}`)) return never();
    for (const l of this.listeners) l.onIssue?.(caller, meta);
    const p = plan();
    return new Promise<T>((resolve, reject) => {
      const settle = (reply: Reply<T>): void => {
        caller.inflight.delete(f);
        for (const l of this.listeners) l.onSettle?.(caller, meta);
        if (!caller.alive || aborted) return;
        if (caller.crashPoint(`reply of ${meta.port} ${meta.text}`)) return;
        this.trace.add(
          caller.name,
          'reply',
          `${meta.port} ${meta.secret && reply.ok ? 'ok (secret)' : replyText(reply)}`,
        );
        if (reply.ok) resolve(reply.value as T);
        else reject(reply.error);
      };
      const serve = (): void => {
        if (f.served) return;
        f.served = true;
        for (const l of this.listeners) l.onServe?.(caller, meta);
        const reply = p.serve();
        if (!reply.delayMs) settle(reply);
        else this.sched.schedule(reply.delayMs, () => settle(reply));
      };
      let aborted = false;
      const timer = this.sched.schedule(p.serveInMs, serve);
      const f: InFlight = {
        meta,
        served: false,
        serveNow: () => {
          timer.cancel();
          serve();
        },
        drop: () => {
          timer.cancel();
          caller.inflight.delete(f);
          for (const l of this.listeners) l.onSettle?.(caller, meta);
        },
      };
      caller.inflight.add(f);
      // An aborted request may still be served (it was sent); only the caller stops waiting.
      signal?.addEventListener(
        'abort',
        () => {
          if (!caller.alive) return;
          aborted = true;
          reject(abortError());
        },
        { once: true },
      );
      if (signal?.aborted) {
        aborted = true;
        reject(abortError());
      }
    });
  }

  /** A replica died: each call still unserved takes effect now or never. */
  resolveInFlight(caller: Caller): void {
    for (const f of [...caller.inflight]) {
      if (f.served) continue;
      const applied = this.prng.chance(0.5);
      this.trace.add(
        caller.name,
        'process',
        `in-flight ${f.meta.port} ${f.meta.text}: ${applied ? 'took effect' : 'never happened'}`,
      );
      if (applied) f.serveNow();
      else f.drop();
    }
  }
}

function abortError(): Error {
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}

function replyText(r: Reply<unknown>): string {
  if (!r.ok)
    return `error ${r.error instanceof Error ? `${r.error.name}: ${r.error.message}` : String(r.error)}`;
  if (r.value === undefined) return 'ok';
  if (Array.isArray(r.value)) return `ok [${r.value.length}]`;
  if (typeof r.value === 'object') return 'ok {..}';
  return `ok ${String(r.value)}`;
}
