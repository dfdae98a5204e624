/**
 * Puts a plan's timeline on the scheduler: the user's objects and actions, the faults, and the two
 * transitions every schedule ends with: heal (faults stop, a person releases what they held, the user lifts
 * suspensions, crashes stop) and clean up (the user deletes everything).
 */
import type { HPCJob } from '../../src/crds/hpcjob.js';
import { FINAL_PHASES } from '../../src/crds/hpcjob.js';
import {
  hpcJob,
  poolTokenOf,
  signingKeyOf,
  signingKeySecretName,
  sshKeyOf,
  sshSecretName,
  tokenSecretName,
  virtualCluster,
  HOST_KEY,
} from './builders.js';
import { RESOURCE_KINDS } from './kube/store.js';
import type { Fault, UserAction } from './plan.js';
import type { Replicas } from './replicas.js';
import { deleteSets, resumeSets, scheduleSets } from './sets/script.js';
import type { World } from './world.js';

export function scheduleTimeline(w: World, replicas: Replicas): void {
  const { sched, plan } = w;
  for (const v of plan.vcs)
    sched.schedule(v.at, () => {
      w.api.secrets.put(v.ns, sshSecretName(v), {
        'ssh-privatekey': sshKeyOf(v),
        known_hosts: `${v.host} ${HOST_KEY}`,
      });
      if (v.pilotTokens) w.api.secrets.put(v.ns, signingKeySecretName(v), { POOL: signingKeyOf(v) });
      else w.api.secrets.put(v.ns, tokenSecretName(v), { token: poolTokenOf(v) });
      w.user.createVirtualCluster(virtualCluster(v));
    });
  for (const j of plan.jobs) sched.schedule(j.at, () => w.user.createHPCJob(hpcJob(j)));
  for (const a of plan.actions) sched.schedule(a.at, () => userAction(w, a));
  for (const f of plan.faults) sched.schedule(f.at, () => applyFault(w, replicas, f));
  scheduleSets(w);
  fairnessTicks(w);
}

function fairnessTicks(w: World): void {
  w.sched.schedule(5_000, () => {
    w.checker.tick();
    fairnessTicks(w);
  });
}

function isFinal(w: World, ns: string, name: string): boolean {
  const phase = (w.api.store.get('hpcjobs', ns, name) as HPCJob | undefined)?.status?.phase;
  return !!phase && FINAL_PHASES.includes(phase);
}

function userAction(w: World, a: UserAction): void {
  switch (a.kind) {
    case 'delete':
      return w.user.delete('hpcjobs', a.ns, a.name);
    case 'delete-vc':
      return w.user.delete('virtualclusters', a.ns, a.name);
    case 'retry':
      // kubectl hpc retry is for finished HPCJobs.
      if (isFinal(w, a.ns, a.name)) w.user.retry(a.ns, a.name);
      return;
    case 'cancel':
      if (!isFinal(w, a.ns, a.name)) w.user.cancel(a.ns, a.name);
      return;
    case 'suspend':
    case 'unsuspend':
      return w.user.setSuspend(a.ns, a.name, a.kind === 'suspend');
  }
}

const SITE_FAULTS = {
  'site-refused': 'refused',
  'site-hang': 'hang',
  'site-auth': 'auth',
  'site-batch': 'batch',
} as const;

export function applyFault(w: World, replicas: Replicas, f: Fault): void {
  w.trace.count(`fault ${f.kind}`);
  const schedd = f.target ? w.condor.schedds.get(f.target) : undefined;
  const site = f.target ? w.sites.get(f.target) : undefined;
  const collector = w.condor.collectorOf(f.target);
  switch (f.kind) {
    case 'api-outage-hang':
      return w.api.outage(f.ms, 'hang');
    case 'api-outage-fail':
      return w.api.outage(f.ms, 'fail');
    case 'api-slow':
      return w.api.slow(f.ms, 5_000);
    case 'api-fail-writes':
      return w.api.failWrites(f.ms, 0.5);
    case 'watch-drop':
      w.trace.add('apiserver', 'fault', `${w.api.dropWatches()} watches dropped`);
      return;
    case 'compact':
      return w.api.compact(w.prng.int(0, 2));
    case 'schedd-down':
      return schedd?.goDown(f.ms);
    case 'submit-timeouts':
      return schedd?.submitTimeouts(f.ms, f.rate ?? 0.7);
    case 'spool-wipe':
      return schedd?.wipe();
    case 'history-rotate':
      return schedd?.rotate(1);
    case 'person-hold':
      return schedd?.personAct('hold');
    case 'person-release':
      return schedd?.personAct('release');
    case 'person-remove':
      return schedd?.personAct('remove');
    case 'person-forcex':
      return schedd?.personAct('forcex');
    case 'transfer-fails':
      return schedd?.transferFails(f.ms, f.rate ?? 0.7);
    case 'collector-down':
      return collector?.goDown(f.ms);
    case 'collector-blackhole':
      return collector?.blackhole(f.ms);
    case 'site-refused':
    case 'site-hang':
    case 'site-auth':
    case 'site-batch':
      return site?.fault(SITE_FAULTS[f.kind], f.ms, f.rate);
    case 'site-maintenance':
      return site?.reserve(f.leadMs ?? w.prng.int(0, 90) * 60_000, f.ms);
    case 'graceful-restart':
      return replicas.gracefulRestart();
    case 'mint-fails':
      return w.minter.fault(f.ms);
  }
}

/** Every fault ends now; a person releases their holds; suspended HPCJobs are resumed; crashes stop. */
export function heal(w: World, replicas: Replicas): void {
  const f = w.api.faults;
  // An outage still on ends now; one that ended keeps its end: the fairness check counts a job's silence
  // from when its path was last unhealthy (found by seed 5535: a collector outage forgotten at the heal).
  const now = w.sched.now();
  const ended = (until: number) => Math.min(until, now);
  if (f.outage) f.outage = { ...f.outage, until: ended(f.outage.until) };
  // Ended rather than zeroed: the token invariants count from when things were last unhealthy.
  f.slowUntil = ended(f.slowUntil);
  f.failWritesUntil = ended(f.failWritesUntil);
  for (const k of RESOURCE_KINDS) w.api.store.hubs[k].window = w.plan.eventWindow;
  for (const s of w.condor.schedds.values()) {
    s.downUntil = ended(s.downUntil);
    s.submitTimeoutsUntil = ended(s.submitTimeoutsUntil);
    s.transferFailsUntil = ended(s.transferFailsUntil);
    s.personReleaseAll();
  }
  for (const c of w.condor.collectors.values()) {
    c.downUntil = ended(c.downUntil);
    c.blackholeUntil = ended(c.blackholeUntil);
  }
  for (const s of w.sites.values()) {
    s.refusedUntil = ended(s.refusedUntil);
    s.hangUntil = ended(s.hangUntil);
    s.authFailsUntil = ended(s.authFailsUntil);
    s.batchFailsUntil = ended(s.batchFailsUntil);
  }
  w.minter.failsUntil = ended(w.minter.failsUntil);
  for (const o of w.api.store.list('hpcjobs'))
    if ((o as HPCJob).spec.suspend && !o.metadata.deletionTimestamp)
      w.user.setSuspend(o.metadata.namespace ?? '', o.metadata.name, false);
  resumeSets(w);
  replicas.heal();
  w.trace.add(
    'world',
    'fault',
    'healed: every fault ended, holds by a person released, suspensions lifted, no more crashes',
  );
}

/** The user deletes every HPCJob, HPCJobSet and VirtualCluster. */
export function deleteEverything(w: World): void {
  deleteSets(w);
  for (const o of w.api.store.list('hpcjobs'))
    w.user.delete('hpcjobs', o.metadata.namespace ?? '', o.metadata.name);
  for (const o of w.api.store.list('virtualclusters'))
    w.user.delete('virtualclusters', o.metadata.namespace ?? '', o.metadata.name);
}
