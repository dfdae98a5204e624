/**
 * Faults of the API server model and how a call is planned under them: slow answers, failed writes (500),
 * and whole outages during which calls either hang until the server is back or fail at once. Faults are
 * switched on and off by the world's fault plan; every latency is drawn from the PRNG.
 */
import { ApiError } from '../../../src/runtime/kube-api.js';
import { fail, ok, type CallPlan, type Reply } from '../net.js';
import type { Prng } from '../prng.js';
import type { Scheduler } from '../scheduler.js';

export type OutageMode = 'hang' | 'fail';

/** What a refused connection looks like to client-node: an error without an HTTP status. */
export function connectionRefused(): Error {
  const e = new Error('connect ECONNREFUSED 10.96.0.1:443 (simulated API server outage)');
  e.name = 'FetchError';
  return e;
}

export function applyNow<T>(effect: () => T): Reply<T> {
  try {
    return ok(effect());
  } catch (e) {
    return fail(e);
  }
}

export class ApiFaults {
  outage: { until: number; mode: OutageMode } | undefined;
  slowUntil = 0;
  slowMaxMs = 0;
  failWritesUntil = 0;
  failRate = 0;

  constructor(
    readonly sched: Scheduler,
    readonly prng: Prng,
  ) {}

  /** True while the API server cannot be reached. */
  get down(): boolean {
    return this.outage !== undefined && this.sched.now() < this.outage.until;
  }

  plan<T>(write: boolean, effect: () => T): CallPlan<T> {
    const now = this.sched.now();
    const o = this.outage;
    if (o && now < o.until) {
      if (o.mode === 'fail')
        return { serveInMs: this.prng.int(1, 20), serve: () => fail(connectionRefused()) };
      return { serveInMs: o.until - now + this.prng.int(1, 20), serve: () => applyNow(effect) };
    }
    const latency = this.prng.latency(1, now < this.slowUntil ? this.slowMaxMs : 40);
    if (write && now < this.failWritesUntil && this.prng.chance(this.failRate))
      return { serveInMs: latency, serve: () => fail(new ApiError(500, 'etcdserver: request timed out')) };
    return { serveInMs: latency, serve: () => applyNow(effect) };
  }
}
