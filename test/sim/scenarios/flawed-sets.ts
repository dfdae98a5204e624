/**
 * Operators wrong in one way about HPCJobSets, each with the invariant that must catch it (part of FLAWS).
 * Each leads, waits for the plan's one set and writes its status or submits its indices directly.
 */
import { buildSetTable } from '../../../src/controllers/hpcjobset/set-jobs.js';
import type { HPCJobSet } from '../../../src/crds/hpcjobset.js';
import { setCounts } from '../../support/builders/hpcjobset.js';
import { MINUTE } from '../plan.js';
import type { SetPlan } from '../sets/plan.js';
import { quiet } from './plans.js';
import { scripted, type Helpers } from './scripted.js';
import type { Flaw } from './flawed.js';

const SET: SetPlan = { at: 1_000, ns: 't1', name: 'sweep', size: 3, items: false, retryLimit: 1 };
const plan = (seed: number) => quiet(seed, { sets: [SET], jobRunMs: 30 * MINUTE });

const counts = setCounts;

async function firstSet(h: Helpers): Promise<HPCJobSet> {
  await h.lead();
  return h.until(async () => (await h.d.hpcJobSets?.list({ limit: 10 }))?.items[0]);
}

/** One submission of index 0's attempt 1, as the operator makes it. */
async function submitIndex0(h: Helpers, set: HPCJobSet): Promise<void> {
  const table = buildSetTable(set, [{ index: 0, attempt: 1 }], {
    operatorId: h.c.operatorId,
    wrapperPath: h.c.wrapperPath,
    attemptDir: '/var/lib/hpc-operator/logs/sweep/1',
  });
  await h.schedd.submitTable(table);
}

const writer = (h: Helpers) => {
  if (!h.d.hpcJobSetWriter) throw new Error('no HPCJobSet writer');
  return h.d.hpcJobSetWriter;
};

export const SET_FLAWS: Record<string, Flaw> = {
  'writes set counts that do not add up to the total': {
    invariant: 'set-counts-add-up',
    plan,
    factory: scripted(async (h) => {
      const set = await firstSet(h);
      await writer(h).patchStatus(set, { phase: 'Running', total: 3, counts: counts({ pending: 2 }) });
    }),
  },
  "writes a set's status on every change (no pacing)": {
    invariant: 'set-status-once-per-tick',
    plan,
    factory: scripted(async (h) => {
      let set = await firstSet(h);
      for (const pending of [3, 2, 1]) {
        const status = { phase: 'Running', total: 3, counts: counts({ pending, queued: 3 - pending }) };
        set = await writer(h).patchStatus(set, status);
      }
    }),
  },
  'declares an index succeeded that no job completed': {
    invariant: 'set-succeeded-matches-history',
    plan,
    factory: scripted(async (h) => {
      const set = await firstSet(h);
      const status = {
        phase: 'Running',
        total: 3,
        succeeded: '1',
        counts: counts({ succeeded: 1, pending: 2 }),
      };
      await writer(h).patchStatus(set, status);
    }),
  },
  'submits an index again as the same attempt after its status listed it': {
    invariant: 'set-index-submitted-once',
    plan,
    factory: scripted(async (h) => {
      const set = await firstSet(h);
      await submitIndex0(h, set);
      const status = { phase: 'Running', total: 3, queued: '0', counts: counts({ queued: 1, pending: 2 }) };
      await writer(h).patchStatus(set, status);
      // Its job goes (removed: not live, so one-live-job-per-attempt has nothing to say), then again.
      await h.schedd.act('remove', { operator: h.c.operatorId, uids: [set.metadata.uid as string] });
      await submitIndex0(h, set);
    }),
  },
};
