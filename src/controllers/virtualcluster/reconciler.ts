/**
 * Reconciles a VirtualCluster: per allocation, it checks the credentials with an SSH round trip, lists the
 * allocation's pilots in one batch-system call, submits the missing ones and cancels the surplus, reads the
 * pool's collector once to see which pilots joined and which are busy, and reports worker counts and
 * conditions the way VC3's portal did. Deleting it (finalizer) or reaching its lifetime cancels every pilot.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { CondorCli } from '../../condor/cli.js';
import { CollectorClient } from '../../condor/collector.js';
import { adString } from '../../condor/parse.js';
import { classAdLiteral } from '../../condor/submit-description.js';
import { API_VERSION, type Condition } from '../../crds/common.js';
import type { HPCJob } from '../../crds/hpcjob.js';
import {
  VIRTUALCLUSTER_KIND,
  VirtualClusterConditions as C,
  type Allocation,
  type AllocationStatus,
  type VCPhase,
  type VirtualCluster,
  type VirtualClusterStatus,
} from '../../crds/virtualcluster.js';
import { rfc3339, setStatusCondition, type NewCondition } from '../../runtime/conditions.js';
import type { Result } from '../../runtime/controller.js';
import type { EventType, Recorder as EventRecorder } from '../../runtime/event-types.js';
import { SecretAccessError, errorMessage, isConflict, isNotFound } from '../../runtime/kube-api.js';
import { splitKey, type Informer } from '../../runtime/informer.js';
import type { Metrics } from '../../runtime/metrics.js';
import type { KubeObjectWriter as ObjectWriter } from '../../runtime/kube/objects.js';
import { adapterFor, type BatchJob } from '../../sites/batch.js';
import { SshError, SshTransport } from '../../sites/ssh.js';
import { durationMs } from '../../util/units.js';
import { credentialsFrom, jwtClaims, type SiteCredentials } from './credentials.js';
import { pilotScriptFor, pilotSubmitCommand, siteDir } from './pilots.js';
import { validateVirtualClusterSpec } from './validate.js';
import { maxPilots, pilotPrefix, planPilots, sequenceOf, wantedPilots, type Counts } from './planning.js';

/** What a failed remote command said: stderr, or stdout for tools that report there (SGE's qdel). */
function said(r: { stdout: string; stderr: string }, max: number): string {
  return (r.stderr.trim() || r.stdout.trim()).slice(0, max);
}

export const VC_FINALIZER = 'hpc.scailfin.io/pilot-cleanup';
/** A credential that expires within this long raises CredentialExpiring. */
const EXPIRY_WARNING_MS = 3 * 86_400_000;

/** Reads all keys of a Secret (decoded); undefined when it does not exist. */
export interface SecretDataSource {
  readAll(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export interface VirtualClusterReconcilerDeps {
  log: Logger;
  clusters: Informer<VirtualCluster>;
  jobs: Informer<HPCJob>;
  writer: ObjectWriter;
  recorder: EventRecorder;
  secrets: SecretDataSource;
  cli: CondorCli;
  metrics: Metrics;
  /** Pilot UPDATE_INTERVAL (s): how often pilots report to the collector. */
  pilotUpdateIntervalSeconds?: number;
  /** Reconcile period while pilots come and go, and when steady (ms). */
  activePollMs?: number;
  steadyPollMs?: number;
  /** Optional HTCondor release tarball uploaded once for allocations with condor.source bundle. */
  bundle?: { path: string; sha256: string; content: () => Buffer };
  now?: () => number;
}

interface Session {
  transport: SshTransport;
  credentialsHash: string;
  preparedToken?: string;
  bundleUploaded?: boolean;
}

type AllocationOutcome =
  | {
      kind: 'ok';
      counts: Counts;
      jobs: BatchJob[];
      submitted: number;
      cancelled: number;
      nextSequence: number;
      message?: string;
    }
  | { kind: 'credentials'; reason: string; message: string }
  | { kind: 'unreachable'; message: string };

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export class VirtualClusterReconciler {
  readonly #d: VirtualClusterReconcilerDeps;
  readonly #now: () => number;
  readonly #sessions = new Map<string, Session>();
  /** Batch ids we cancelled, per VirtualCluster uid (not errors). */
  readonly #cancelled = new Map<string, Set<string>>();
  /** Credentials a site refused, by session key: not tried again (sites penalise failed logins) until they change or an hour passed. */
  readonly #refused = new Map<string, { hash: string; at: number; reason: string; message: string }>();
  /** Pilots seen failing, and the submission backoff that follows, per VC uid + allocation. */
  readonly #failures = new Map<string, { seen: Set<string>; count: number; nextSubmitAt: number }>();

  /** Drops a deleted VirtualCluster's worker gauges. */
  #forgetWorkers(key: string): void {
    const { namespace, name } = splitKey(key);
    for (const state of ['requested', 'queued', 'running', 'idle', 'busy', 'error'])
      this.#d.metrics.virtualClusterWorkers.remove({ namespace, name, state });
  }

  constructor(deps: VirtualClusterReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  reconcile = async (key: string, log: Logger): Promise<Result> => {
    let vc = this.#d.clusters.getByKey(key);
    if (!vc) {
      this.#closeSessions(key);
      this.#forgetWorkers(key);
      return {};
    }
    if (vc.metadata.deletionTimestamp) return this.#finalize(vc, log);
    if (!vc.metadata.finalizers?.includes(VC_FINALIZER))
      vc = (await this.#d.writer.addFinalizer(vc, VC_FINALIZER)) ?? vc;
    if (vc.status?.phase === 'Terminated') return {};

    const status: VirtualClusterStatus = structuredClone(vc.status ?? {});
    const conditions: Condition[] = structuredClone(vc.status?.conditions ?? []);
    const events: [EventType, string, string][] = [];
    const gen = vc.metadata.generation;
    const cond = (c: NewCondition) =>
      setStatusCondition(conditions, { ...c, observedGeneration: gen }, new Date(this.#now()));

    // A spec the schema let through but no site or date can carry: Failed, and nothing sent anywhere.
    const invalid = validateVirtualClusterSpec(vc.spec);
    if (invalid) {
      cond({ type: C.Ready, status: 'False', reason: invalid.reason, message: invalid.message });
      status.phase = 'Failed';
      status.message = invalid.message;
      return this.#commit(vc, status, conditions, events, log, 30_000);
    }

    const created = Date.parse(vc.metadata.creationTimestamp ?? '') || this.#now();
    if (vc.spec.lifetime) status.expiresAt = rfc3339(new Date(created + durationMs(vc.spec.lifetime)));
    const expired = status.expiresAt !== undefined && Date.parse(status.expiresAt) <= this.#now();

    // The pilot token: who the pilots are to the pool, and the pool's trust domain.
    const tokenRef = vc.spec.pool.pilotTokenSecretRef;
    let tokenData: Record<string, string> | undefined;
    try {
      tokenData = await this.#d.secrets.readAll(vc.metadata.namespace, tokenRef.name);
    } catch (e) {
      if (!(e instanceof SecretAccessError)) throw e;
      cond({ type: C.PoolJoined, status: 'False', reason: 'SecretForbidden', message: e.message });
      status.phase = 'Failed';
      status.message = e.message;
      return this.#commit(vc, status, conditions, events, log, 30_000);
    }
    const token = tokenData?.[tokenRef.key ?? 'token']?.trim();
    const trustDomain = token ? (jwtClaims(token)?.iss as string | undefined) : undefined;

    let outcomes: Map<string, AllocationOutcome>;
    if (expired) {
      outcomes = await this.#cancelAll(vc, log);
    } else if (!token || !trustDomain) {
      const why = !token
        ? `Secret ${tokenRef.name} (key ${tokenRef.key ?? 'token'}) with the pilot token is missing`
        : 'the pilot token is not an IDTOKEN (no issuer claim)';
      cond({ type: C.PoolJoined, status: 'False', reason: 'TokenMissing', message: why });
      status.phase = 'Failed';
      status.message = why;
      return this.#commit(vc, status, conditions, events, log, 30_000);
    } else {
      outcomes = await this.#manage(vc, token, trustDomain, log);
    }

    // Counts per allocation and in total; conditions; phase.
    const allocStatus: AllocationStatus[] = [];
    const total: Counts = { requested: 0, queued: 0, running: 0, idle: 0, busy: 0, error: 0 };
    const badCreds: string[] = [];
    const unreachable: string[] = [];
    for (const a of vc.spec.allocations ?? []) {
      const o = outcomes.get(a.name);
      const prev = status.allocations?.find((x) => x.name === a.name);
      if (!o || o.kind !== 'ok') {
        const message = o?.message ?? 'not checked yet';
        if (o?.kind === 'credentials') badCreds.push(`${a.name}: ${o.message}`);
        if (o?.kind === 'unreachable') unreachable.push(`${a.name}: ${o.message}`);
        // Unknown counts are kept from the last good look, not invented.
        allocStatus.push({ ...(prev ?? { name: a.name }), name: a.name, message });
        for (const k of Object.keys(total) as (keyof Counts)[])
          total[k] += (prev?.[k] as number | undefined) ?? 0;
        continue;
      }
      const s: AllocationStatus = { name: a.name, ...o.counts, nextSequence: o.nextSequence };
      if (o.submitted > 0) {
        s.lastSubmitTime = rfc3339(new Date(this.#now()));
        events.push([
          'Normal',
          'PilotsSubmitted',
          `${o.submitted} pilot(s) submitted to ${a.batchSystem} on ${a.loginHost} (allocation ${a.name})`,
        ]);
      } else if (prev?.lastSubmitTime) s.lastSubmitTime = prev.lastSubmitTime;
      if (o.cancelled > 0)
        events.push([
          'Normal',
          'PilotsCancelled',
          `${o.cancelled} pilot(s) cancelled on allocation ${a.name}`,
        ]);
      if (o.message) s.message = o.message;
      allocStatus.push(s);
      for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += o.counts[k];
    }
    status.allocations = allocStatus;
    status.workers = total;
    for (const [state, n] of Object.entries(total))
      this.#d.metrics.virtualClusterWorkers.set(
        { namespace: vc.metadata.namespace, name: vc.metadata.name, state },
        n,
      );

    if (badCreds.length > 0) {
      if (
        cond({ type: C.CredentialsValid, status: 'False', reason: 'Rejected', message: badCreds.join('; ') })
      ) {
        events.push(['Warning', 'CredentialsInvalid', badCreds.join('; ')]);
      }
    } else if (outcomes.size > 0 && unreachable.length < outcomes.size) {
      cond({
        type: C.CredentialsValid,
        status: 'True',
        reason: 'Verified',
        message: 'SSH login and host key verified',
      });
    }
    if (unreachable.length > 0) {
      if (
        cond({
          type: C.SiteReachable,
          status: 'False',
          reason: 'Unreachable',
          message: unreachable.join('; '),
        })
      ) {
        events.push(['Warning', 'SiteUnreachable', unreachable.join('; ')]);
      }
    } else if (outcomes.size > 0 && badCreds.length < outcomes.size) {
      cond({ type: C.SiteReachable, status: 'True', reason: 'Reachable', message: 'every site answered' });
    }
    const expiry = await this.#credentialExpiry(vc);
    if (expiry) {
      status.credentialExpiresAt = rfc3339(expiry);
      const soon = expiry.getTime() - this.#now() < EXPIRY_WARNING_MS;
      cond({
        type: C.CredentialExpiring,
        status: soon ? 'True' : 'False',
        reason: soon ? 'ExpiresSoon' : 'Valid',
        message: `a credential expires at ${rfc3339(expiry)}`,
      });
    }
    if (total.running > 0) {
      const joined = total.idle + total.busy;
      cond(
        joined > 0
          ? {
              type: C.PoolJoined,
              status: 'True',
              reason: 'Joined',
              message: `${joined} of ${total.running} running pilots joined ${vc.spec.pool.collectorHost}`,
            }
          : {
              type: C.PoolJoined,
              status: 'False',
              reason: 'NotJoined',
              message: `${total.running} pilots run but none has joined ${vc.spec.pool.collectorHost} yet`,
            },
      );
    }

    const active = total.queued + total.running;
    let phase: VCPhase;
    if (expired) {
      phase = active === 0 ? 'Terminated' : 'Terminating';
      if (phase === 'Terminated')
        events.push(['Normal', 'Terminated', `lifetime ${vc.spec.lifetime} ended; all pilots are gone`]);
    } else if ((vc.spec.allocations ?? []).length === 0) phase = 'Pending';
    else if (badCreds.length === outcomes.size && outcomes.size > 0) phase = 'Failed';
    else if (badCreds.length > 0 || unreachable.length > 0) phase = 'Degraded';
    else if (outcomes.size === 0) phase = 'Validating';
    else if (total.idle + total.busy < total.requested || active > total.requested) phase = 'Provisioning';
    else phase = 'Running';
    status.phase = phase;
    status.message = this.#summary(phase, total, badCreds, unreachable);
    cond({
      type: C.Ready,
      status: phase === 'Running' ? 'True' : 'False',
      reason: phase,
      message: status.message,
    });
    const steady = phase === 'Running' || phase === 'Failed';
    return this.#commit(
      vc,
      status,
      conditions,
      events,
      log,
      steady ? (this.#d.steadyPollMs ?? 30_000) : (this.#d.activePollMs ?? 5000),
    );
  };

  // ------------------------------------------------------------------------------- pilots per allocation

  async #manage(
    vc: VirtualCluster,
    token: string,
    trustDomain: string,
    log: Logger,
  ): Promise<Map<string, AllocationOutcome>> {
    const allocations = vc.spec.allocations ?? [];
    const wanted = wantedPilots(allocations, this.#demandCpus(vc));
    const slots = await this.#slots(vc, log);
    const out = new Map<string, AllocationOutcome>();
    for (const a of allocations) {
      out.set(
        a.name,
        await this.#manageAllocation(vc, a, wanted.get(a.name) ?? 0, token, trustDomain, slots, log),
      );
    }
    return out;
  }

  async #manageAllocation(
    vc: VirtualCluster,
    a: Allocation,
    wanted: number,
    token: string,
    trustDomain: string,
    slots: { busy: Set<string>; joined: Set<string> },
    log: Logger,
  ): Promise<AllocationOutcome> {
    const session = await this.#session(vc, a);
    if ('reason' in session) return { kind: 'credentials', reason: session.reason, message: session.message };
    const uid = vc.metadata.uid as string;
    const adapter = adapterFor(a.batchSystem);
    const prefix = pilotPrefix(uid, a.name, sha);
    const dir = siteDir(vc, a);
    const failKey = `${uid}/${a.name}`;
    try {
      if (session.preparedToken !== sha(token)) {
        await this.#remote(
          session,
          `umask 077 && mkdir -p ${dir}/pilots ${dir}/logs && cat > ${dir}/pilot.token`,
          token,
        );
        session.preparedToken = sha(token);
      }
      if (a.condor?.source === 'bundle' && !session.bundleUploaded) await this.#uploadBundle(session, dir);
      const listing = await session.transport.exec(adapter.list(a.user), { timeoutMs: 60_000 });
      if (listing.code !== 0 && !adapter.isEmptyListError?.(listing.stderr)) {
        return {
          kind: 'unreachable',
          message: `${adapter.list(a.user)[0]} failed: ${listing.stderr.trim().slice(0, 300)}`,
        };
      }
      const jobs = adapter.parseList(listing.stdout).filter((j) => j.name.startsWith(prefix));
      const cancelled = this.#cancelled.get(uid) ?? new Set<string>();
      // Pilots that failed on their own slow down replacements: 30 s, 1 min, 2 min ... up to 15 min.
      const f = this.#failures.get(failKey) ?? { seen: new Set<string>(), count: 0, nextSubmitAt: 0 };
      for (const j of jobs) {
        if (j.state === 'failed' && !cancelled.has(j.id) && !f.seen.has(j.id)) {
          f.seen.add(j.id);
          f.count++;
          f.nextSubmitAt = this.#now() + Math.min(900_000, 30_000 * 2 ** Math.min(5, f.count - 1));
        }
      }
      if (jobs.some((j) => slots.joined.has(j.name))) f.count = 0;
      this.#failures.set(failKey, f);
      const canSubmit = this.#now() >= f.nextSubmitAt;
      const plan = planPilots(
        wanted,
        maxPilots(a),
        { jobs, busy: slots.busy, joined: slots.joined, cancelledByUs: cancelled },
        canSubmit,
      );

      if (plan.cancel.length > 0) {
        const r = await session.transport.exec(adapter.cancel(plan.cancel), { timeoutMs: 60_000 });
        if (r.code !== 0) log.warn({ allocation: a.name, err: said(r, 300) }, 'cancelling pilots failed');
        plan.cancel.forEach((id) => cancelled.add(id));
        this.#cancelled.set(uid, cancelled);
      }
      let next = Math.max(
        vc.status?.allocations?.find((x) => x.name === a.name)?.nextSequence ?? 0,
        ...jobs.map((j) => sequenceOf(j.name, prefix) + 1),
      );
      let submitted = 0;
      for (let i = 0; i < plan.submit; i++) {
        const name = `${prefix}${next}`;
        const script = pilotScriptFor(vc, a, name, trustDomain, {
          bundleSha256: this.#d.bundle?.sha256,
          updateIntervalSeconds: this.#d.pilotUpdateIntervalSeconds,
        });
        const r = await this.#remote(session, pilotSubmitCommand(vc, a, name), script);
        const id = adapter.parseSubmit(r);
        log.info({ allocation: a.name, pilot: name, batchId: id }, 'submitted a pilot');
        next++;
        submitted++;
        plan.counts.queued++;
      }
      const message =
        !canSubmit &&
        plan.submit === 0 &&
        jobs.filter((j) => j.state === 'queued' || j.state === 'running').length < wanted
          ? `${f.count} pilot(s) failed recently; next submission after ${rfc3339(new Date(f.nextSubmitAt))}`
          : undefined;
      return {
        kind: 'ok',
        counts: plan.counts,
        jobs,
        submitted,
        cancelled: plan.cancel.length,
        nextSequence: next,
        ...(message ? { message } : {}),
      };
    } catch (e) {
      return this.#siteError(vc, a, e);
    }
  }

  /** Lifetime over (or deletion): cancel every pilot of every allocation. */
  async #cancelAll(vc: VirtualCluster, log: Logger): Promise<Map<string, AllocationOutcome>> {
    const out = new Map<string, AllocationOutcome>();
    const uid = vc.metadata.uid as string;
    for (const a of vc.spec.allocations ?? []) {
      const session = await this.#session(vc, a);
      if ('reason' in session) {
        out.set(a.name, { kind: 'credentials', reason: session.reason, message: session.message });
        continue;
      }
      const adapter = adapterFor(a.batchSystem);
      const prefix = pilotPrefix(uid, a.name, sha);
      try {
        const listing = await session.transport.exec(adapter.list(a.user), { timeoutMs: 60_000 });
        if (listing.code !== 0 && !adapter.isEmptyListError?.(listing.stderr)) {
          out.set(a.name, { kind: 'unreachable', message: listing.stderr.trim().slice(0, 300) });
          continue;
        }
        const jobs = adapter.parseList(listing.stdout).filter((j) => j.name.startsWith(prefix));
        const active = jobs.filter((j) => j.state === 'queued' || j.state === 'running');
        const cancelled = this.#cancelled.get(uid) ?? new Set<string>();
        const toCancel = active.filter((j) => !cancelled.has(j.id)).map((j) => j.id);
        if (toCancel.length > 0) {
          await session.transport.exec(adapter.cancel(toCancel), { timeoutMs: 60_000 });
          toCancel.forEach((id) => cancelled.add(id));
          this.#cancelled.set(uid, cancelled);
          log.info({ allocation: a.name, pilots: toCancel.length }, 'cancelled pilots');
        }
        const counts: Counts = {
          requested: 0,
          queued: active.filter((j) => j.state === 'queued').length,
          running: active.filter((j) => j.state === 'running').length,
          idle: 0,
          busy: 0,
          error: 0,
        };
        out.set(a.name, {
          kind: 'ok',
          counts,
          jobs,
          submitted: 0,
          cancelled: toCancel.length,
          nextSequence: vc.status?.allocations?.find((x) => x.name === a.name)?.nextSequence ?? 0,
        });
      } catch (e) {
        out.set(a.name, this.#siteError(vc, a, e));
      }
    }
    return out;
  }

  /** Deletion: every pilot cancelled and gone from the batch system, the token removed from the site, then the finalizer. */
  async #finalize(vc: VirtualCluster, log: Logger): Promise<Result> {
    if (!vc.metadata.finalizers?.includes(VC_FINALIZER)) return {};
    // A spec refused before any site was contacted, with no pilot ever numbered: nothing to clean up.
    const everSent = (vc.status?.allocations ?? []).some((a) => (a.nextSequence ?? 0) > 0);
    if (!everSent && validateVirtualClusterSpec(vc.spec)) {
      await this.#d.writer.removeFinalizer(vc, VC_FINALIZER).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      log.info('deleted before anything was sent to a site; finalizer removed');
      return {};
    }
    const outcomes = await this.#cancelAll(vc, log);
    const blocked = [...outcomes.entries()].filter(
      ([, o]) => o.kind !== 'ok' || o.counts.queued + o.counts.running > 0,
    );
    const stuck = blocked.filter(([, o]) => o.kind !== 'ok');
    if (blocked.length > 0) {
      if (stuck.length > 0) {
        const why = stuck.map(([name, o]) => `${name}: ${o.kind === 'ok' ? '' : o.message}`).join('; ');
        this.#d.recorder.event(
          { ...vc, apiVersion: API_VERSION, kind: VIRTUALCLUSTER_KIND },
          'Warning',
          'CleanupBlocked',
          'Delete',
          `pilots cannot be cancelled yet (${why}); the finalizer stays until they are`,
        );
      }
      return { requeueAfterMs: stuck.length > 0 ? 15_000 : 2000 };
    }
    for (const a of vc.spec.allocations ?? []) {
      const session = await this.#session(vc, a);
      if ('reason' in session) continue;
      // The token must not outlive the VirtualCluster on the site.
      await session.transport.execScript(`rm -f ${siteDir(vc, a)}/pilot.token`).catch(() => undefined);
    }
    this.#closeSessions(`${vc.metadata.namespace}/${vc.metadata.name}`);
    this.#cancelled.delete(vc.metadata.uid as string);
    try {
      await this.#d.writer.removeFinalizer(vc, VC_FINALIZER);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    log.info('all pilots are gone; finalizer removed');
    return {};
  }

  // ------------------------------------------------------------------------------------------ helpers

  /** CPUs the VirtualCluster's unfinished HPCJobs ask for (autoscaling demand). */
  #demandCpus(vc: VirtualCluster): number {
    let cpus = 0;
    for (const j of this.#d.jobs.list()) {
      if (
        j.metadata.namespace !== vc.metadata.namespace ||
        j.spec.virtualClusterRef?.name !== vc.metadata.name
      )
        continue;
      const phase = j.status?.phase ?? 'Pending';
      if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Lost') continue;
      cpus += j.spec.resources?.cpus ?? 1;
    }
    return cpus;
  }

  /** One condor_status for the VirtualCluster: which pilots joined, which have a busy slot. */
  async #slots(vc: VirtualCluster, log: Logger): Promise<{ busy: Set<string>; joined: Set<string> }> {
    const busy = new Set<string>();
    const joined = new Set<string>();
    try {
      const collector = new CollectorClient(this.#d.cli, vc.spec.pool.collectorHost);
      const ads = await collector.slots(
        `VirtualCluster == ${classAdLiteral(`${vc.metadata.namespace}/${vc.metadata.name}`)}`,
        ['HPCPilot', 'State', 'SlotType'],
      );
      for (const ad of ads) {
        const pilot = adString(ad, 'HPCPilot');
        if (!pilot) continue;
        joined.add(pilot);
        if (adString(ad, 'State') === 'Claimed' || adString(ad, 'SlotType') === 'Dynamic') busy.add(pilot);
      }
    } catch (e) {
      log.warn({ err: errorMessage(e) }, 'could not read pilot slots from the collector');
    }
    return { busy, joined };
  }

  async #session(vc: VirtualCluster, a: Allocation): Promise<Session | { reason: string; message: string }> {
    let data: Record<string, string> | undefined;
    try {
      data = await this.#d.secrets.readAll(vc.metadata.namespace, a.credentials.secretName);
    } catch (e) {
      if (e instanceof SecretAccessError) return { reason: 'SecretForbidden', message: e.message };
      throw e;
    }
    const creds = credentialsFrom(a, data);
    if ('reason' in creds) return creds;
    const key = `${vc.metadata.namespace}/${vc.metadata.name}/${a.name}`;
    const hash = sha(JSON.stringify([a.loginHost, a.port, a.user, creds.privateKey, creds.hostKeys]));
    const refused = this.#refused.get(key);
    if (refused && refused.hash === hash && this.#now() - refused.at < 3_600_000) {
      return {
        reason: refused.reason,
        message: `${refused.message} (not retried until the credentials change)`,
      };
    }
    const existing = this.#sessions.get(key);
    if (existing && existing.credentialsHash === hash) return existing;
    existing?.transport.close();
    const session: Session = {
      transport: new SshTransport({
        host: a.loginHost,
        port: a.port ?? 22,
        username: a.user,
        privateKey: creds.privateKey,
        hostKeys: creds.hostKeys,
      }),
      credentialsHash: hash,
    };
    this.#sessions.set(key, session);
    return session;
  }

  #closeSessions(vcKey: string): void {
    for (const [k, s] of this.#sessions) {
      if (k.startsWith(`${vcKey}/`)) {
        s.transport.close();
        this.#sessions.delete(k);
      }
    }
  }

  /** Runs a remote shell command line (already quoted), feeding `input`; throws unless it exits 0. */
  async #remote(session: Session, command: string, input?: string | Buffer): Promise<string> {
    const r = await session.transport.execScript(command, { input, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`remote command failed (exit ${r.code}): ${said(r, 500)}`);
    return r.stdout;
  }

  async #uploadBundle(session: Session, dir: string): Promise<void> {
    const b = this.#d.bundle;
    if (!b)
      throw new Error('allocation asks for condor.source bundle, but the operator has no --pilot-bundle');
    const r = await session.transport.execScript(`cd ${dir} && test -s condor-${b.sha256}.tar.gz`);
    if (r.code !== 0) {
      await this.#remote(
        session,
        `cd ${dir} && umask 077 && cat > condor-${b.sha256}.tar.gz.part && mv condor-${b.sha256}.tar.gz.part condor-${b.sha256}.tar.gz`,
        b.content(),
      );
    }
    session.bundleUploaded = true;
  }

  #siteError(vc: VirtualCluster, a: Allocation, e: unknown): AllocationOutcome {
    const key = `${vc.metadata.namespace}/${vc.metadata.name}/${a.name}`;
    this.#sessions.get(key)?.transport.close();
    if (e instanceof SshError && (e.kind === 'auth' || e.kind === 'host-key')) {
      const reason = e.kind === 'auth' ? 'AuthenticationFailed' : 'HostKeyMismatch';
      const hash = this.#sessions.get(key)?.credentialsHash;
      if (hash) this.#refused.set(key, { hash, at: this.#now(), reason, message: e.message });
      this.#sessions.delete(key);
      return { kind: 'credentials', reason, message: e.message };
    }
    return { kind: 'unreachable', message: errorMessage(e) };
  }

  async #credentialExpiry(vc: VirtualCluster): Promise<Date | undefined> {
    let earliest: Date | undefined;
    for (const a of vc.spec.allocations ?? []) {
      // A Secret the operator may not read is reported by the session check; no expiry to tell here.
      const data = await this.#d.secrets
        .readAll(vc.metadata.namespace, a.credentials.secretName)
        .catch((e: unknown) => {
          if (e instanceof SecretAccessError) return undefined;
          throw e;
        });
      const creds = credentialsFrom(a, data);
      const e = (creds as SiteCredentials).expiresAt;
      if (e && (!earliest || e < earliest)) earliest = e;
    }
    return earliest;
  }

  #summary(phase: VCPhase, t: Counts, badCreds: string[], unreachable: string[]): string {
    const counts = `${t.requested} requested, ${t.queued} queued, ${t.running} running (${t.busy} busy, ${t.idle} idle), ${t.error} in error`;
    const problems = [...badCreds, ...unreachable];
    return `${phase}: ${counts}${problems.length ? `; ${problems.join('; ')}` : ''}`.slice(0, 4096);
  }

  async #commit(
    vc: VirtualCluster,
    status: VirtualClusterStatus,
    conditions: Condition[],
    events: [EventType, string, string][],
    log: Logger,
    requeueAfterMs: number,
  ): Promise<Result> {
    status.conditions = conditions;
    status.observedGeneration = vc.metadata.generation;
    const next = JSON.parse(JSON.stringify(status)) as VirtualClusterStatus;
    if (JSON.stringify(vc.status ?? {}) !== JSON.stringify(next)) {
      try {
        await this.#d.writer.patchStatus(vc, next);
      } catch (e) {
        if (isConflict(e)) return { requeueAfterMs: 200 };
        if (isNotFound(e)) return {};
        throw e;
      }
    }
    const obj = { ...vc, apiVersion: API_VERSION, kind: VIRTUALCLUSTER_KIND };
    for (const [type, reason, note] of events) this.#d.recorder.event(obj, type, reason, 'Reconcile', note);
    if (events.length)
      log.info({ phase: status.phase, workers: status.workers }, events.map((e) => e[1]).join(', '));
    return { requeueAfterMs };
  }
}
