/**
 * Performs a Plan through the ports, in the order that keeps track of everything across a crash: the
 * finalizer first, then the status (with the places about to be touched recorded and the pilot numbers
 * about to be used counted) under the optimistic lock, then the Events, then the site effects, and the
 * finalizer's removal only when every effect before it succeeded. A 409 on a write is thrown: the controller
 * retries with backoff, on a fresh copy. What failed on a site is remembered for the next pass's status.
 */
import type { Logger } from 'pino';
import { API_VERSION } from '../../crds/common.js';
import { VIRTUALCLUSTER_KIND, type VirtualCluster } from '../../crds/virtualcluster.js';
import type { Recorder } from '../../runtime/event-types.js';
import {
  addFinalizer,
  isNotFound,
  removeFinalizer,
  sameJson,
  statusPatch,
  type ObjectWriter,
} from '../../runtime/kube-api.js';
import { SshError } from '../../sites/ssh.js';
import type { PilotBundle, SiteSession } from '../../sites/session.js';
import type { TokenMinter } from '../../condor/token-create.js';
import type { VirtualClusterMetrics } from './metrics.js';
import type { Observation, Plan, SiteEffect } from './model.js';
import { siteFailure } from './observation.js';
import { placeKey } from './places.js';
import { VC_FINALIZER } from './reasons.js';
import type { PlaceMemory, SiteSessions } from './site-sessions.js';
import { forgetTokensBut, storeFreshToken } from './token-effects.js';
import { preparedMark } from './token-source.js';

export interface ExecutorDeps {
  writer: ObjectWriter;
  recorder: Recorder;
  sessions: SiteSessions;
  metrics: VirtualClusterMetrics;
  bundle?: PilotBundle;
  /** Mints per-pilot tokens (spec.pool.pilotTokens). */
  minter?: TokenMinter;
}

/** What came of a Plan: whether the object still exists, and the memory to keep. */
export interface Execution {
  /** False when the object was gone (404) before the status was written: nothing was done on a site. */
  applied: boolean;
  /** The finalizer was removed: the VirtualCluster is about to go; forget it. */
  released: boolean;
  /**
   * Places (place keys) where an effect failed this pass, or a cancel was refused: what the plan cancelled
   * there may not have happened.
   */
  failed?: ReadonlySet<string>;
}

/** Execution.failed: the places where an effect failed or a cancel was refused, if any. */
function notDone(failed: ReadonlySet<string>, uncancelled: ReadonlySet<string>): Pick<Execution, 'failed'> {
  const all = new Set([...failed, ...uncancelled]);
  return all.size > 0 ? { failed: all } : {};
}

export class Executor {
  readonly #d: ExecutorDeps;

  constructor(deps: ExecutorDeps) {
    this.#d = deps;
  }

  async execute(
    vc: VirtualCluster,
    plan: Plan,
    o: Observation,
    now: number,
    log: Logger,
  ): Promise<Execution> {
    const vcKey = `${vc.metadata.namespace}/${vc.metadata.name}`;
    let obj = vc;
    try {
      if (plan.effects.some((e) => e.kind === 'addFinalizer'))
        obj = (await addFinalizer(this.#d.writer, obj, VC_FINALIZER)) ?? obj;
      if (plan.status && !sameJson(vc.status ?? {}, plan.status))
        obj = await this.#d.writer.patchStatus(obj, statusPatch(obj.status, plan.status));
    } catch (e) {
      if (isNotFound(e)) return { applied: false, released: false };
      throw e;
    }
    if (plan.status?.workers)
      this.#d.metrics.setWorkers(vc.metadata.namespace as string, vc.metadata.name, plan.status.workers);
    const regarding = { ...obj, apiVersion: API_VERSION, kind: VIRTUALCLUSTER_KIND };
    const record = (e: { type: 'Normal' | 'Warning'; reason: string; action: string; note: string }) =>
      this.#d.recorder.event(regarding, e.type, e.reason, e.action, e.note);
    plan.events.forEach(record);
    if (plan.events.length > 0)
      log.info(
        { phase: plan.status?.phase, workers: plan.status?.workers },
        plan.events.map((e) => e.reason).join(', '),
      );

    const failed = new Set<string>();
    const uncancelled = new Set<string>(); // a cancel the batch system refused: the pass goes on (#site)
    for (const effect of plan.effects) {
      if (effect.kind === 'addFinalizer') continue;
      if (effect.kind === 'removeFinalizer') {
        if (failed.size > 0) break;
        await removeFinalizer(this.#d.writer, obj, VC_FINALIZER).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
        log.info('every place on the sites is clean; finalizer removed');
        this.#d.sessions.forget(vcKey);
        this.#d.metrics.forget(vc.metadata.namespace as string, vc.metadata.name);
        return { applied: true, released: true };
      }
      const key = placeKey(effect.place);
      if (failed.has(key)) continue;
      const outcome = await this.#site(vcKey, effect, o, now, log);
      if (outcome === 'failed') failed.add(key);
      else if ('event' in effect && effect.event) record(effect.event);
      if (outcome === 'not-cancelled') uncancelled.add(key);
    }
    // Each looked-at place shows this pass's failure, or none, to the next pass.
    for (const key of o.places.keys()) {
      const m = this.#d.sessions.peek(vcKey, key);
      if (m && !failed.has(key)) m.lastError = undefined;
    }
    this.#d.sessions.retain(vcKey, new Set(o.places.keys()));
    return { applied: true, released: false, ...notDone(failed, uncancelled) };
  }

  /**
   * One site effect: done, failed (remembered for the next pass), or a cancel the batch system refused, which
   * is no failure of the site but is not taken for done either.
   */
  async #site(
    vcKey: string,
    e: SiteEffect,
    o: Observation,
    now: number,
    log: Logger,
  ): Promise<'done' | 'failed' | 'not-cancelled'> {
    const key = placeKey(e.place);
    const m = this.#d.sessions.peek(vcKey, key);
    const session = m?.session;
    if (!m || !session) return 'failed';
    const where = { allocation: e.place.allocation, site: session.address };
    try {
      await this.#perform(vcKey, session, m, e, o, log, where);
      if (e.kind === 'prepare' && o.token?.kind === 'ok') {
        m.preparedTokenHash = preparedMark(o.token);
        m.tokenRemoved = false;
      }
      if (e.kind === 'ensureBundle') m.bundleReady = true;
      if (e.kind === 'removeToken') {
        m.tokenRemoved = true;
        m.preparedTokenHash = undefined;
        m.pilotTokens = new Map();
      }
      return 'done';
    } catch (err) {
      // A cancel that fails is not the site's fault (the pilot may have ended meanwhile: qdel says so), but
      // it may not have happened either (the batch system timed out): the next pass cancels what is still
      // listed. Taken for done, a deleted VirtualCluster waited for its pilot's walltime (simulation, seed
      // 22602 --minted).
      if (e.kind === 'cancelPilots' && err instanceof SshError && err.kind === 'failed') {
        log.warn({ ...where, err: err.message.slice(0, 300) }, 'cancelling pilots failed');
        return 'not-cancelled';
      }
      const view = siteFailure(this.#d.sessions, vcKey, key, err, now);
      const after = this.#d.sessions.place(vcKey, key);
      after.lastError = view.kind === 'unreachable' ? view.message : undefined;
      log.warn({ ...where, effect: e.kind, err: view.message }, 'acting on the site failed');
      return 'failed';
    }
  }

  async #perform(
    vcKey: string,
    session: SiteSession,
    m: PlaceMemory,
    e: SiteEffect,
    o: Observation,
    log: Logger,
    where: Record<string, string>,
  ): Promise<void> {
    const dir = e.place.directory;
    switch (e.kind) {
      case 'prepare':
        if (o.token?.kind !== 'ok') throw new Error('no pool token to store');
        return session.prepare(dir, o.token.mode === 'shared' ? o.token.token : undefined);
      case 'ensureBundle':
        if (!this.#d.bundle) throw new Error('the operator has no --pilot-bundle');
        return session.ensureBundle(dir, this.#d.bundle);
      case 'cancelPilots':
        await session.cancel(e.ids);
        log.info({ ...where, pilots: e.ids.length }, 'cancelled pilots');
        return;
      case 'submitPilots':
        for (const p of e.pilots) {
          if (p.tokenLifetimeSeconds !== undefined)
            await this.#storeToken(vcKey, 'new', () =>
              storeFreshToken(this.#d.minter, o.token, session, m, {
                dir,
                pilot: p.name,
                lifetimeSeconds: p.tokenLifetimeSeconds as number,
              }),
            );
          const batchId = await session.submitPilot(dir, p.name, p.script);
          log.info({ ...where, pilot: p.name, batchId }, 'submitted a pilot');
        }
        return;
      case 'removeToken':
        return session.removeToken(dir);
      case 'issueTokens':
        for (const t of e.tokens)
          await this.#storeToken(vcKey, 'renewal', () =>
            storeFreshToken(this.#d.minter, o.token, session, m, { dir, ...t }),
          );
        log.info({ ...where, pilots: e.tokens.map((t) => t.pilot) }, 'renewed the tokens of queued pilots');
        return;
      case 'retainTokens':
        await session.retainPilotTokens(dir, e.keep);
        forgetTokensBut(m, e.keep);
        return;
    }
  }

  /** Mints and stores one pilot token, counted in hpc_virtualcluster_pilot_tokens_total. */
  async #storeToken(vcKey: string, purpose: 'new' | 'renewal', store: () => Promise<void>): Promise<void> {
    const [namespace = '', name = ''] = vcKey.split('/');
    try {
      await store();
      this.#d.metrics.pilotTokens.inc({ namespace, name, purpose, outcome: 'stored' });
    } catch (e) {
      this.#d.metrics.pilotTokens.inc({ namespace, name, purpose, outcome: 'failed' });
      throw e;
    }
  }
}
