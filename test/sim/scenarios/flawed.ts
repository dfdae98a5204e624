/**
 * Operators that are wrong in exactly one way, each with the plan that exposes it and the invariant that
 * must catch it. The invariants' tests run every entry; a flaw that goes unnoticed is a hole in the checks.
 */
import type { HPCJob } from '../../../src/crds/hpcjob.js';
import type { OperatorFactory } from '../operator-hook.js';
import type { Plan } from '../plan.js';
import { MINUTE } from '../plan.js';
import { startReplica } from '../operator-hook.js';
import { job, pilotGoneThenDeleted, quiet, vc } from './plans.js';
import { scripted } from './scripted.js';
import { TOKEN_FLAWS } from './flawed-tokens.js';
import { SET_FLAWS } from './flawed-sets.js';

export interface Flaw {
  invariant: string;
  plan: (seed: number) => Plan;
  factory: OperatorFactory;
}

const uidOf = (j: HPCJob): string => j.metadata.uid as string;

export const FLAWS: Record<string, Flaw> = {
  'submits without holding the Lease': {
    invariant: 'submit-only-by-leader',
    plan: (seed) => quiet(seed, { jobs: [job('a')] }),
    factory: scripted(async (h) => void (await h.submit(await h.firstJob(), 1))),
  },
  'submits one attempt twice (no adoption after a timeout)': {
    invariant: 'one-live-job-per-attempt',
    plan: (seed) => quiet(seed, { jobs: [job('a')], jobRunMs: 30 * MINUTE }),
    factory: scripted(async (h) => {
      await h.lead();
      const j = await h.firstJob();
      await h.submit(j, 1);
      await h.submit(j, 1);
    }),
  },
  'acknowledges before fetching the outputs': {
    invariant: 'outputs-before-ack',
    plan: (seed) => quiet(seed, { jobs: [job('a', { staging: 'condor-transfer' })], jobOutcome: 'ok' }),
    factory: scripted(async (h) => {
      await h.lead();
      const j = await h.firstJob();
      await h.submit(j, 1);
      await h.completed(uidOf(j));
      await h.schedd.acknowledge({ operator: h.c.operatorId, uids: [uidOf(j)] });
    }),
  },
  'removes the finalizer while the job still runs': {
    invariant: 'finalizer-after-cleanup',
    plan: (seed) =>
      quiet(seed, {
        jobs: [job('a')],
        jobRunMs: 30 * MINUTE,
        actions: [{ at: MINUTE, kind: 'delete', ns: 't1', name: 'a' }],
      }),
    factory: scripted(async (h) => {
      await h.lead();
      let j = await h.firstJob();
      j = await h.d.hpcJobWriter.setFinalizers(j, ['hpc.scailfin.io/condor-cleanup']);
      await h.submit(j, 1);
      const gone = await h.until(async () => (await h.jobs()).find((x) => x.metadata.deletionTimestamp));
      await h.d.hpcJobWriter.setFinalizers(gone, []);
    }),
  },
  'declares an attempt Lost while its job is queued': {
    invariant: 'lost-only-when-gone',
    plan: (seed) => quiet(seed, { jobs: [job('a')], jobRunMs: 30 * MINUTE }),
    factory: scripted(async (h) => {
      await h.lead();
      const j = await h.firstJob();
      await h.submit(j, 1);
      await h.d.hpcJobWriter.patchStatus(j, {
        phase: 'Pending',
        attempt: 2,
        attempts: [{ attempt: 1, outcome: 'Lost' }],
      });
    }),
  },
  'reports success for a failed job (trusts a reused job id)': {
    invariant: 'final-phase-matches-history',
    plan: (seed) => quiet(seed, { jobs: [job('a')], jobOutcome: 'exit' }),
    factory: scripted(async (h) => {
      await h.lead();
      const j = await h.firstJob();
      await h.submit(j, 1);
      await h.completed(uidOf(j));
      await h.d.hpcJobWriter.patchStatus(j, { phase: 'Succeeded', attempt: 1 });
    }),
  },
  'runs a succeeded step again without a retry request': {
    invariant: 'no-attempt-after-success',
    plan: (seed) => quiet(seed, { jobs: [job('a')], jobOutcome: 'ok' }),
    factory: scripted(async (h) => {
      await h.lead();
      const j = await h.firstJob();
      await h.submit(j, 1);
      await h.completed(uidOf(j));
      await h.submit(j, 2);
    }),
  },
  "one loop for every tenant's HTCondor calls": {
    invariant: 'tenant-isolation',
    plan: (seed) =>
      quiet(seed, {
        vcs: Array.from({ length: 10 }, (_, i) =>
          vc(`vc-${i}`, { collectorHost: 'cm.black-hole.example.org:9618' }),
        ),
        jobs: [job('b', { ns: 't2' })],
        jobRunMs: 30 * MINUTE,
        faults: [
          { at: 0, kind: 'collector-blackhole', ms: 14 * MINUTE, target: 'cm.black-hole.example.org:9618' },
        ],
      }),
    factory: scripted(async (h) => {
      await h.lead();
      await h.submit(await h.firstJob(), 1);
      for (;;) {
        for (const v of (await h.d.virtualClusters.list({ limit: 100 })).items)
          await h.d.condor
            .collector(v.spec.pool.collectorHost)
            .pilotSlots(`${v.metadata.namespace}/${v.metadata.name}`, ['Name'])
            .catch(() => []);
        await h.schedd.query({ operator: h.c.operatorId }, ['JobStatus'], 'track');
      }
    }),
  },
  'keeps something of every HPCJob it saw': {
    invariant: 'memory-released',
    plan: (seed) => quiet(seed, { jobs: [job('a'), job('b')] }),
    factory: (c, d, ctl) => {
      const seen = new Set<string>();
      const script = scripted(
        async (h) => {
          await h.lead();
          for (;;) {
            for (const j of await h.jobs()) {
              seen.add(uidOf(j));
              if (!j.status?.phase)
                await h.d.hpcJobWriter
                  .patchStatus(j, { phase: 'Failed', message: 'refused' })
                  .catch(() => undefined);
            }
            await h.d.clock.sleep(5_000);
          }
        },
        () => ({ seen: seen.size }),
      );
      return script(c, d, ctl);
    },
  },
  'never finishes an HPCJob': {
    invariant: 'liveness',
    plan: (seed) => quiet(seed, { jobs: [job('a')] }),
    factory: scripted(async (h) => void (await h.lead())),
  },
  "leaves a deleted VirtualCluster's pilots running": {
    invariant: 'cleanup',
    plan: (seed) => quiet(seed, { vcs: [vc('vc-a')] }),
    factory: scripted(async (h) => {
      await h.lead();
      const v = await h.until(async () => (await h.d.virtualClusters.list({ limit: 10 })).items[0]);
      const a = v.spec.allocations?.[0];
      if (!a || !h.d.sites) return;
      const key = await h.d.secrets.read(v.metadata.namespace, a.credentials.secretName, 'ssh-privatekey');
      const s = h.d.sites.open(
        { host: a.loginHost, port: 22, user: a.user, privateKey: key ?? '', hostKeys: [] },
        a.batchSystem,
      );
      const ref = v.spec.pool.pilotTokenSecretRef ?? { name: 'pilot-token' };
      await s.prepare(
        'pilots',
        (await h.d.secrets.read(v.metadata.namespace, ref.name, ref.key ?? 'token')) ?? '',
      );
      await s.submitPilot('pilots', 'p-1', `VirtualCluster = "${v.metadata.namespace}/${v.metadata.name}"`);
    }),
  },
  'waits out the job lease of a removed job whose pilot is gone (no condor_rm -forcex)': {
    invariant: 'no-stuck-removal',
    plan: pilotGoneThenDeleted,
    // The real operator, its grace before -forcex longer than any run.
    factory: (c, d, ctl) => startReplica({ ...c, forceRemovalAfterSeconds: 86_400 }, d, ctl),
  },
  ...TOKEN_FLAWS,
  ...SET_FLAWS,
};
