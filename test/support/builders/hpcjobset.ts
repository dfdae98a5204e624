/**
 * Builders for HPCJobSets, their indices' HTCondor jobs and what a set reconcile observes (the style of
 * builders/hpcjob.ts: each method sets one thing, `obj()` gives a fresh object).
 */
import type { SetSubmitOutcome, TrackedJob } from '../../../src/condor/backend.js';
import type { FetchState } from '../../../src/condor/output-fetcher.js';
import { Tag } from '../../../src/condor/tags.js';
import { API_VERSION } from '../../../src/crds/common.js';
import type { HPCJobSpec } from '../../../src/crds/hpcjob.js';
import {
  HPCJOBSET_KIND,
  type HPCJobSet,
  type HPCJobSetSpec,
  type HPCJobSetStatus,
} from '../../../src/crds/hpcjobset.js';
import { hasCompleted } from '../../../src/controllers/hpcjob/job-state.js';
import { SET_FINALIZER } from '../../../src/controllers/hpcjobset/transition.js';
import type { SetObservation, SetSettings } from '../../../src/controllers/hpcjobset/transition-types.js';
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';
import { T0, TrackedJobBuilder, iso, makeHPCJob } from './hpcjob.js';

export class HPCJobSetBuilder {
  readonly #set: HPCJobSet;

  constructor(name: string, namespace: string) {
    this.#set = {
      apiVersion: API_VERSION,
      kind: HPCJOBSET_KIND,
      metadata: {
        name,
        namespace,
        uid: `uid-${name}`,
        generation: 1,
        resourceVersion: '1',
        creationTimestamp: iso(T0),
        finalizers: [SET_FINALIZER],
      },
      spec: { count: 3, template: { command: ['echo'], args: ['$(HPC_INDEX)'] } },
    };
  }

  spec(patch: Partial<HPCJobSetSpec>): this {
    Object.assign(this.#set.spec, patch);
    return this;
  }

  template(patch: Partial<HPCJobSpec>): this {
    Object.assign(this.#set.spec.template, patch);
    return this;
  }

  items(items: Record<string, string>[]): this {
    delete this.#set.spec.count;
    this.#set.spec.items = items;
    return this;
  }

  withoutFinalizer(): this {
    this.#set.metadata.finalizers = [];
    return this;
  }

  deleting(at = T0): this {
    this.#set.metadata.deletionTimestamp = iso(at);
    return this;
  }

  annotate(key: string, value: string): this {
    this.#set.metadata.annotations = { ...this.#set.metadata.annotations, [key]: value };
    return this;
  }

  status(patch: Partial<HPCJobSetStatus>): this {
    this.#set.status = { ...this.#set.status, ...patch };
    return this;
  }

  obj(): HPCJobSet {
    return structuredClone(this.#set);
  }
}

export const makeHPCJobSet = (name = 'sweep', namespace = 'ns'): HPCJobSetBuilder =>
  new HPCJobSetBuilder(name, namespace);

/** The job of `index`'s attempt `attempt` (an HPCJob builder's job ad, tagged with the set's uid and index). */
export function makeSetJob(
  set: HPCJobSet,
  index: number,
  attempt = 1,
  jobId = `9.${index}`,
): TrackedJobBuilder {
  const asJob = makeHPCJob(set.metadata.name, set.metadata.namespace).obj();
  asJob.metadata.uid = set.metadata.uid;
  return new TrackedJobBuilder(asJob, attempt, jobId).ad({
    [Tag.SetIndex]: index,
    [Tag.Ref]: `hpcjobset:${set.metadata.namespace}/${set.metadata.name}`,
  });
}

export class SetObservationBuilder {
  readonly #o: SetObservation = {
    now: T0 + 1000,
    jitter: 0.5,
    schedd: 'local',
    state: { synced: true, reachable: true },
    jobs: [],
    settled: true,
    fetches: new Map(),
  };
  /** Fetch states by job id; 'none': never asked for. A completed job not named here is fetched ('done'). */
  readonly #fetch = new Map<string, FetchState | 'none'>();

  /** The output fetch of job `jobId` stands so ('none': nobody asked for it yet). */
  fetch(jobId: string, state: FetchState | 'none'): this {
    this.#fetch.set(jobId, state);
    return this;
  }

  at(now: number): this {
    this.#o.now = now;
    return this;
  }

  jobs(...jobs: (TrackedJob | TrackedJobBuilder)[]): this {
    this.#o.jobs = jobs.map((j) => (j instanceof TrackedJobBuilder ? j.obj() : j));
    return this;
  }

  submission(s: SetSubmitOutcome): this {
    this.#o.submission = s;
    return this;
  }

  unsettled(): this {
    this.#o.settled = false;
    return this;
  }

  /** The set's VirtualCluster as the cache has it ('missing': not there). */
  virtualCluster(vc: VirtualCluster | 'missing'): this {
    this.#o.virtualCluster = vc;
    return this;
  }

  /** The schedd of a VirtualCluster's pool. */
  pool(schedd: string, pool: string): this {
    this.#o.schedd = schedd;
    this.#o.pool = pool;
    return this;
  }

  /** No schedd: a set never placed on its VirtualCluster, which cannot take it now. */
  nowhere(): this {
    delete this.#o.schedd;
    return this;
  }

  unreachable(error = 'connection refused'): this {
    this.#o.state = { synced: true, reachable: false, lastError: error };
    return this;
  }

  /** A fresh observation; the jobs are the ones given (each builder's obj() made them fresh already). */
  obj(): SetObservation {
    const { jobs, fetches: _, ...rest } = this.#o;
    const fetches = new Map<string, FetchState>();
    for (const job of jobs) {
      if (!hasCompleted(job)) continue;
      const f = this.#fetch.get(job.jobId) ?? { state: 'done' };
      if (f !== 'none') fetches.set(job.jobId, structuredClone(f));
    }
    return { ...structuredClone(rest), jobs: [...jobs], fetches };
  }
}

export const observeSet = (): SetObservationBuilder => new SetObservationBuilder();

/** The settings set transitions run with in tests (the operator's defaults). */
export function setSettings(patch: Partial<SetSettings> = {}): SetSettings {
  return {
    forceRemovalAfterMs: 60_000,
    outputFetchTimeoutMs: 600_000,
    defaultTarget: {},
    virtualClusterWaitMs: 600_000,
    ...patch,
  };
}

/** status.counts with every state, zero unless `c` says otherwise. */
export function setCounts(
  c: Partial<NonNullable<HPCJobSetStatus['counts']>> = {},
): NonNullable<HPCJobSetStatus['counts']> {
  return { pending: 0, queued: 0, running: 0, held: 0, succeeded: 0, failed: 0, cancelled: 0, ...c };
}
