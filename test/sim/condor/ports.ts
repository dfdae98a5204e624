/**
 * The HTCondor ports of one replica over the condor models: a ScheddApi per target and a CollectorApi per
 * pool, each call planned under the current faults (schedd down: `unavailable` at once; collector
 * black-holed: hangs until the tool's timeout; a submit that commits and then times out; condor_transfer_data
 * failing) and served later in virtual time. Errors are CondorErrors built from the tools' real stderr.
 */
import { classifyFailure, CondorError } from '../../../src/condor/errors.js';
import type { MatchAnalysis } from '../../../src/condor/match-analysis.js';
import type { JobAd } from '../../../src/condor/parse.js';
import type {
  CollectorApi,
  CondorConnector,
  JobAction,
  JobSelector,
  ScheddApi,
  ScheddTarget,
} from '../../../src/condor/schedd-api.js';
import { scheddLabel } from '../../../src/condor/schedd-api.js';
import {
  expandSubmitTable,
  type SubmitJob,
  type SubmitTable,
} from '../../../src/condor/submit-description.js';
import { Tag } from '../../../src/condor/tags.js';
import { applyNow } from '../kube/faults.js';
import { fail, type CallPlan, type Caller, type CondorCallInfo, type Net } from '../net.js';
import type { Prng } from '../prng.js';
import { project } from './job.js';
import type { CondorWorld } from './pools.js';

export interface CondorPortEnv {
  net: Net;
  prng: Prng;
  now: () => number;
  world: CondorWorld;
  /** The namespace (tenant) of an HPCJob uid. */
  tenantOfUid: (uid: string) => string | undefined;
}

function timeoutError(tool: string, ms: number): CondorError {
  return new CondorError('timeout', tool, undefined, '', `${tool} timed out after ${ms} ms`);
}

export class SimScheddApi implements ScheddApi {
  readonly label: string;

  constructor(
    readonly env: CondorPortEnv,
    readonly who: Caller,
    readonly target: ScheddTarget,
  ) {
    this.label = scheddLabel(target);
  }

  /** The model takes jobs: a table is its jobs (the text the real client renders is tested on its own). */
  submitTable(table: SubmitTable): Promise<string[]> {
    return this.submit(expandSubmitTable(table));
  }

  submit(jobs: readonly SubmitJob[]): Promise<string[]> {
    const refs = jobs.map((j) => `${String(j.attributes[Tag.Ref])}#${String(j.attributes[Tag.Attempt])}`);
    const uids = jobs.map((j) => String(j.attributes[Tag.JobUID]));
    const info = this.#info('submit', { uids });
    return this.env.net.call(
      this.who,
      { port: `condor.${this.label}`, text: `submit ${refs.join(' ')}`, condor: info },
      () =>
        this.#plan('condor_submit', this.env.world.timeouts.submit, (s) => s.submit(jobs, this.who), true),
    );
  }

  query(sel: JobSelector, attributes: readonly string[], purpose: string): Promise<JobAd[]> {
    return this.#call('condor_q', `query(${purpose})`, sel, (s) => s.query(sel, attributes));
  }

  history(sel: JobSelector, attributes: readonly string[], o: { limit?: number }): Promise<JobAd[]> {
    return this.#call('condor_history', `history limit=${o.limit ?? '-'}`, sel, (s) =>
      s.historyOf(sel, attributes, o.limit),
    );
  }

  act(action: JobAction, sel: JobSelector, reason?: string): Promise<boolean> {
    const tool = ['remove', 'forcex', 'discard'].includes(action) ? 'condor_rm' : `condor_${action}`;
    return this.#call(tool, action, sel, (s) => s.act(action, sel, reason, this.who));
  }

  acknowledge(sel: JobSelector): Promise<boolean> {
    return this.#call('condor_qedit', 'acknowledge', sel, (s) => s.acknowledge(sel, this.who));
  }

  transferData(sel: JobSelector): Promise<void> {
    const t = this.env.world.timeouts.transfer;
    const info = this.#info('transferData', sel);
    return this.env.net.call(
      this.who,
      { port: `condor.${this.label}`, text: `transferData ${selText(sel)}`, condor: info },
      () =>
        this.#plan('condor_transfer_data', t, (s) => {
          if (this.env.now() < s.transferFailsUntil && this.env.prng.chance(s.transferFailRate))
            throw classifyFailure(
              'condor_transfer_data',
              1,
              'Fetching data files...\nERROR: Failed to spool job files.\n',
            );
          s.transferData(sel);
        }),
    );
  }

  analyze(sel: JobSelector): Promise<MatchAnalysis | undefined> {
    return this.#call('condor_q', 'analyze', sel, (s) => s.analyze(sel));
  }

  ping(): Promise<void> {
    return this.env.net.call(this.who, { port: `condor.${this.label}`, text: 'ping' }, () =>
      this.#plan('condor_q', this.env.world.timeouts.query, () => undefined),
    );
  }

  #call<T>(
    tool: string,
    what: string,
    sel: JobSelector,
    effect: (s: NonNullable<ReturnType<CondorWorld['scheddOf']>>) => T,
  ): Promise<T> {
    const info = this.#info(what, sel);
    return this.env.net.call(
      this.who,
      { port: `condor.${this.label}`, text: `${what} ${selText(sel)}`, condor: info },
      () => this.#plan(tool, this.env.world.timeouts.query, effect),
    );
  }

  /** Which tenants a call is for: by uid, by the jobs its ids name now, or every tenant. */
  #info(action: string, sel: Pick<JobSelector, 'uids' | 'jobs'>): CondorCallInfo {
    const jobIds = sel.jobs?.map((j) => j.jobId);
    const info: CondorCallInfo = { target: this.label, action, uids: sel.uids, jobIds };
    if (sel.uids === undefined && sel.jobs === undefined) return info;
    const uids = [...(sel.uids ?? []), ...(sel.jobs ?? []).map((j) => j.uid)];
    info.tenants = new Set(
      uids.map((u) => (u ? this.env.tenantOfUid(u) : undefined)).filter((t): t is string => !!t),
    );
    return info;
  }

  #plan<T>(
    tool: string,
    timeoutMs: number,
    effect: (s: NonNullable<ReturnType<CondorWorld['scheddOf']>>) => T,
    submit = false,
  ): CallPlan<T> {
    const { world, prng, now } = this.env;
    const col = world.collectorOf(this.target.pool);
    const schedd = world.scheddOf(this.target);
    if (col?.blackholed) return { serveInMs: timeoutMs, serve: () => fail(timeoutError(tool, timeoutMs)) };
    const unreachable =
      !col || col.down
        ? collectorDown(tool, this.target.pool)
        : !schedd
          ? noSuchSchedd(tool, this.label)
          : undefined;
    if (unreachable) return { serveInMs: prng.int(5, 200), serve: () => fail(unreachable) };
    const s = schedd as NonNullable<typeof schedd>;
    const latency = prng.latency(20, Math.min(timeoutMs / 2, 3_000));
    const serve = () => (s.down ? fail(scheddDown(tool, this.label)) : applyNow(() => effect(s)));
    if (submit && now() < s.submitTimeoutsUntil && prng.chance(s.submitTimeoutRate)) {
      // Commits at any moment before the tool is killed at its timeout: the caller hears only "timeout".
      const commitAt = prng.int(latency, timeoutMs - 1);
      return {
        serveInMs: commitAt,
        serve: () => {
          const r = serve();
          if (r.ok) this.env.net.trace.count('condor_submit committed then timed out');
          return r.ok ? fail(timeoutError(tool, timeoutMs), timeoutMs - commitAt) : r;
        },
      };
    }
    return { serveInMs: latency, serve };
  }
}

export class SimCollectorApi implements CollectorApi {
  readonly label: string;

  constructor(
    readonly env: CondorPortEnv,
    readonly who: Caller,
    readonly pool: string | undefined,
  ) {
    this.label = pool || 'local';
  }

  pilotSlots(virtualCluster: string, attributes: readonly string[]): Promise<JobAd[]> {
    const tenant = virtualCluster.split('/')[0] ?? '';
    const info: CondorCallInfo = {
      target: `collector:${this.label}`,
      action: 'pilotSlots',
      tenants: new Set([tenant]),
    };
    const t = this.env.world.timeouts.status;
    return this.env.net.call(
      this.who,
      { port: `collector.${this.label}`, text: `pilotSlots ${virtualCluster}`, condor: info },
      () => {
        const col = this.env.world.collectorOf(this.pool);
        if (col?.blackholed) return { serveInMs: t, serve: () => fail(timeoutError('condor_status', t)) };
        if (!col || col.down)
          return {
            serveInMs: this.env.prng.int(5, 200),
            serve: () => fail(collectorDown('condor_status', this.pool)),
          };
        return {
          serveInMs: this.env.prng.latency(10, 1_000),
          serve: () =>
            col.down
              ? fail(collectorDown('condor_status', this.pool))
              : applyNow(() => col.slots(virtualCluster).map((a) => project(a, attributes))),
        };
      },
    );
  }
}

export class SimCondorConnector implements CondorConnector {
  constructor(
    readonly env: CondorPortEnv,
    readonly who: Caller,
  ) {}

  schedd(target: ScheddTarget): ScheddApi {
    return new SimScheddApi(this.env, this.who, target);
  }

  collector(pool: string | undefined): CollectorApi {
    return new SimCollectorApi(this.env, this.who, pool);
  }
}

function collectorDown(tool: string, pool: string | undefined): CondorError {
  const host = pool || 'cm.local:9618';
  return classifyFailure(
    tool,
    1,
    `Error: Failed to fetch ads from: <10.0.0.9:9618> : ${host}\nCEDAR:6001:Failed to connect to <10.0.0.9:9618>\n`,
  );
}

function noSuchSchedd(tool: string, name: string): CondorError {
  return classifyFailure(tool, 1, `ERROR: Can't find address of schedd ${name}\n`);
}

function scheddDown(tool: string, name: string): CondorError {
  return classifyFailure(
    tool,
    1,
    `ERROR: Failed to connect to queue manager ${name}\nSECMAN:2003:TCP connection to <10.0.0.5:9618> failed.\n`,
  );
}

function selText(sel: JobSelector): string {
  const parts: string[] = [];
  if (sel.jobs) parts.push(`ids=[${sel.jobs.map((j) => j.jobId).join(',')}]`);
  if (sel.uids) parts.push(`uids=[${sel.uids.map((u) => u.slice(-4)).join(',')}]`);
  if (sel.changedWithinSeconds !== undefined) parts.push(`changed<${sel.changedWithinSeconds}s`);
  return parts.join(' ') || 'all';
}
