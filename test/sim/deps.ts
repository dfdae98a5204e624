/**
 * The OperatorDeps of one replica: every port bound to the replica (so its calls carry its crash points and
 * die with it), its own Clock view of the scheduler, the world's Random, a logger that writes into the trace
 * when replaying (silent otherwise), and a fresh metrics Registry.
 */
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { HPCJob } from '../../src/crds/hpcjob.js';
import type { HPCJobSet } from '../../src/crds/hpcjobset.js';
import type { VirtualCluster } from '../../src/crds/virtualcluster.js';
import type { OperatorDeps } from '../../src/operator-deps.js';
import { SimCondorConnector } from './condor/ports.js';
import { SimAttemptFiles } from './files.js';
import { eventSink, leaseStore, listWatchSource, objectWriter, secrets } from './kube/ports.js';
import type { Replica } from './process.js';
import { SimSiteConnector } from './site/ports.js';
import { SimTokenMinter } from './minter.js';
import { SSH_TIMEOUT_MS, type World } from './world.js';

function logger(w: World, r: Replica): Logger {
  // Virtual time in every line (pino's default reads the wall clock).
  const timestamp = (): string => `,"time":${w.sched.now()}`;
  if (!w.trace.full) return pino({ level: 'silent', timestamp });
  const stream = {
    write(line: string): void {
      const o = JSON.parse(line) as {
        level?: number;
        msg?: string;
        time?: number;
        pid?: unknown;
        hostname?: unknown;
      };
      const { msg, level, time, pid, hostname, ...rest } = o;
      void time;
      void pid;
      void hostname;
      const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
      w.trace.add(r.name, 'log', `[${level ?? '?'}] ${msg ?? ''}${extra}`.slice(0, 400));
    },
  };
  return pino({ level: 'debug', base: undefined, timestamp }, stream);
}

export function buildDeps(w: World, r: Replica): OperatorDeps {
  const api = w.api;
  const condorEnv = {
    net: w.net,
    prng: w.prng,
    now: () => w.sched.now(),
    world: w.condor,
    tenantOfUid: (uid: string) => api.store.namespaceOfUid.get(uid),
  };
  return {
    clock: w.sched.clockFor(r.name),
    random: w.prng.random,
    log: logger(w, r),
    registry: new Registry(),
    identity: r.name,
    hpcJobs: listWatchSource<HPCJob>(api, r, 'hpcjobs'),
    virtualClusters: listWatchSource<VirtualCluster>(api, r, 'virtualclusters'),
    hpcJobSets: listWatchSource<HPCJobSet>(api, r, 'hpcjobsets'),
    hpcJobWriter: objectWriter(api, r, 'hpcjobs'),
    hpcJobSetWriter: objectWriter(api, r, 'hpcjobsets'),
    virtualClusterWriter: objectWriter(api, r, 'virtualclusters'),
    events: eventSink(api, r),
    leases: w.config.leaderElect ? leaseStore(api, r) : undefined,
    secrets: secrets(api, r),
    condor: new SimCondorConnector(condorEnv, r),
    sites: new SimSiteConnector(
      { net: w.net, prng: w.prng, now: () => w.sched.now(), sites: w.sites, sshTimeoutMs: SSH_TIMEOUT_MS },
      r,
    ),
    minter: new SimTokenMinter({ net: w.net, prng: w.prng, now: () => w.sched.now(), model: w.minter }, r),
    files: new SimAttemptFiles(w.files, w.config.logDir),
  };
}
