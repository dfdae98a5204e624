/**
 * Tiny scripted operators for the invariants' own tests: each runs one straight-line script against the
 * ports. They are deliberately wrong in one way each (flawed.ts), to show that the invariant meant to catch
 * that mistake does.
 */
import type { OperatorConfig } from '../../../src/config.js';
import type { ScheddApi } from '../../../src/condor/schedd-api.js';
import { TRACKED_ATTRIBUTES } from '../../../src/condor/tags.js';
import type { JobAd } from '../../../src/condor/parse.js';
import { buildSubmitJob } from '../../../src/controllers/hpcjob/description.js';
import type { HPCJob } from '../../../src/crds/hpcjob.js';
import type { OperatorDeps } from '../../../src/operator-deps.js';
import type { OperatorFactory } from '../operator-hook.js';

export interface Helpers {
  d: OperatorDeps;
  c: OperatorConfig;
  schedd: ScheddApi;
  /** Takes the Lease and keeps renewing it. */
  lead(): Promise<void>;
  /** Waits until `cond` holds, checking every 5 s. */
  until<T>(cond: () => Promise<T | undefined>): Promise<T>;
  jobs(): Promise<HPCJob[]>;
  /** The first HPCJob, once there is one. */
  firstJob(): Promise<HPCJob>;
  submit(job: HPCJob, attempt: number): Promise<string>;
  /** The job's ad once it reached JobStatus 4. */
  completed(uid: string): Promise<JobAd>;
}

export function scripted(
  script: (h: Helpers) => Promise<void>,
  diagnostics: () => Record<string, number> = () => ({}),
): OperatorFactory {
  return (c, d) => ({
    start: () => {
      void script(helpers(c, d)).catch(() => undefined);
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
    diagnostics,
  });
}

function helpers(c: OperatorConfig, d: OperatorDeps): Helpers {
  const h: Helpers = {
    d,
    c,
    schedd: d.condor.schedd({}),
    async lead() {
      const leases = d.leases;
      if (!leases) return;
      const renew = async (): Promise<void> => {
        const cur = await leases.get(c.leaderElectionNamespace, c.leaderElectionId);
        const next = {
          namespace: c.leaderElectionNamespace,
          name: c.leaderElectionId,
          resourceVersion: cur?.resourceVersion,
          holderIdentity: d.identity,
          leaseDurationSeconds: 60,
          renewTime: new Date(d.clock.now()).toISOString(),
          leaseTransitions: 0,
        };
        await (cur ? leases.update(next) : leases.create(next));
      };
      await renew();
      const again = (): void => void d.clock.after(5_000, () => void renew().finally(again));
      again();
    },
    async until(cond) {
      for (;;) {
        const v = await cond().catch(() => undefined);
        if (v !== undefined) return v;
        await d.clock.sleep(5_000);
      }
    },
    jobs: async () => (await d.hpcJobs.list({ limit: 100 })).items,
    firstJob: () => h.until(async () => (await h.jobs())[0]),
    async submit(job, attempt) {
      const sj = buildSubmitJob(job, attempt, {
        operatorId: c.operatorId,
        wrapperPath: c.wrapperPath,
        attemptDir: d.files.dir(job, attempt),
      });
      return (await h.schedd.submit([sj]))[0] as string;
    },
    completed: (uid) =>
      h.until(async () =>
        (await h.schedd.query({ operator: c.operatorId, uids: [uid] }, TRACKED_ATTRIBUTES, 'track')).find(
          (a) => a.JobStatus === 4,
        ),
      ),
  };
  return h;
}
