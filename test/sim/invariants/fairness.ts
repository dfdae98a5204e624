/**
 * Invariant 6: one tenant's VirtualCluster cannot delay another tenant's HTCondor calls beyond a stated
 * bound. The model cannot see inside the operator, so it measures what a tenant experiences: for every live
 * job of a not yet finished HPCJob or HPCJobSet, the time since the model last started serving a call that covers it (a
 * call naming its uid or job id, or an operator-wide call on its schedd). Time does not count while the
 * job's own path is unhealthy (its schedd down, its pool's collector down or black-holed), while the API
 * server is unreachable, or before the current leader took over. When that time passes the bound while
 * another tenant has HTCondor calls in flight, the delay is attributed to the other tenant(s).
 */
import type { HPCJob } from '../../../src/crds/hpcjob.js';
import { FINAL_PHASES } from '../../../src/crds/hpcjob.js';
import { FINAL_SET_PHASES, type HPCJobSet } from '../../../src/crds/hpcjobset.js';
import type { KubeObject } from '../../../src/runtime/kube-api.js';
import { jobUid, type SimJob } from '../condor/job.js';
import type { Caller, CallMeta, NetListener } from '../net.js';
import type { CheckContext, Report } from './context.js';
import { isLive } from './ledger.js';

const EVERYONE = '*';

export class FairnessMonitor implements NetListener {
  readonly #coveredAt = new Map<string, number>();
  readonly #wideAt = new Map<string, number>();
  readonly #inflight = new Map<string, number>();
  #holder: string | undefined;
  #holderSince = 0;
  /** Since when the current leader has led (alive all along), as of the last check (ms). */
  get leaderSince(): number {
    return this.#holderSince;
  }

  /** The longest covered-gap seen (a measure for the report), ms. */
  worstGapMs = 0;

  constructor(
    readonly ctx: CheckContext,
    readonly report: Report,
    readonly boundMs: number,
  ) {}

  onIssue(_c: Caller, meta: CallMeta): void {
    for (const t of tenants(meta)) this.#inflight.set(t, (this.#inflight.get(t) ?? 0) + 1);
  }

  onSettle(_c: Caller, meta: CallMeta): void {
    for (const t of tenants(meta)) this.#inflight.set(t, (this.#inflight.get(t) ?? 1) - 1);
  }

  onServe(_c: Caller, meta: CallMeta): void {
    const info = meta.condor;
    if (!info || info.target.startsWith('collector:')) return;
    const now = this.ctx.now();
    if (info.uids === undefined && info.jobIds === undefined) this.#wideAt.set(info.target, now);
    for (const u of info.uids ?? []) this.#coveredAt.set(u, now);
    const s = this.ctx.condor.schedds.get(info.target);
    for (const id of info.jobIds ?? []) {
      const j = s?.queue.get(id);
      const u = j && jobUid(j);
      if (u) this.#coveredAt.set(u, now);
    }
  }

  /** Called every few seconds of virtual time. */
  check(): void {
    const now = this.ctx.now();
    const lease = this.ctx.lease;
    const holder = lease
      ? this.ctx.api.leases.holderAt(lease.namespace, lease.name, now)
      : this.ctx.replicas().find((r) => r.alive)?.name;
    if (holder !== this.#holder || !this.ctx.replicas().some((r) => r.alive && r.name === holder)) {
      this.#holder = holder;
      this.#holderSince = now;
      return;
    }
    const apiBack = this.ctx.api.faults.outage?.until ?? 0;
    for (const job of this.#unfinished()) {
      const uid = job.metadata.uid as string;
      for (const j of this.ctx.ledger.queued(uid).filter(isLive)) {
        const since = Math.max(
          this.#holderSince,
          apiBack,
          this.#pathBackAt(j),
          this.ctx.ledger.committedAt.get(j) ?? 0,
          this.#coveredAt.get(uid) ?? 0,
          this.#wideAt.get(j.schedd) ?? 0,
        );
        const gap = now - since;
        this.worstGapMs = Math.max(this.worstGapMs, gap);
        if (gap <= this.boundMs) continue;
        const tenant = job.metadata.namespace;
        const others = [...this.#inflight.entries()].filter(
          ([t, n]) => n > 0 && t !== tenant && t !== EVERYONE,
        );
        const what = `no HTCondor call for ${tenant}/${job.metadata.name} (job ${j.schedd} ${j.id}) served for ${Math.round(gap / 1000)} s (bound ${this.boundMs / 1000} s) while its schedd was healthy`;
        if (others.length)
          this.report(
            'tenant-isolation',
            `${what}; calls in flight for other tenants: ${others.map(([t, n]) => `${t}=${n}`).join(', ')}`,
          );
        else
          this.report(
            'tracking-stalled',
            `${what}; nothing else was in flight: the operator lost track of the job`,
          );
      }
    }
  }

  /** HPCJobs and HPCJobSets not in a final phase: their live jobs must be tracked. */
  *#unfinished(): Iterable<KubeObject> {
    for (const o of this.ctx.api.store.list('hpcjobs')) {
      const phase = (o as HPCJob).status?.phase;
      if (!phase || !FINAL_PHASES.includes(phase)) yield o;
    }
    for (const o of this.ctx.api.store.list('hpcjobsets')) {
      const phase = (o as HPCJobSet).status?.phase;
      if (!phase || !FINAL_SET_PHASES.includes(phase)) yield o;
    }
  }

  /** When the job's own path (its schedd, its pool's collector) was last unhealthy. */
  #pathBackAt(j: SimJob): number {
    const s = this.ctx.condor.schedds.get(j.schedd);
    const vc = j.ad.HPCVirtualCluster;
    let pool: string | undefined;
    if (typeof vc === 'string') {
      const [ns, name] = vc.split('/');
      const v = this.ctx.api.store.get('virtualclusters', ns, name ?? '') as
        { spec?: { pool?: { collectorHost?: string } } } | undefined;
      if (!v) return this.ctx.now();
      pool = v.spec?.pool?.collectorHost;
    }
    const c = this.ctx.condor.collectorOf(pool);
    return Math.max(s?.downUntil ?? Infinity, c?.downUntil ?? Infinity, c?.blackholeUntil ?? Infinity);
  }
}

function tenants(meta: CallMeta): Iterable<string> {
  const info = meta.condor;
  if (!info) return [];
  return info.tenants ?? [EVERYONE];
}
