/** The schema of spec.retryPolicy: what to do after a failed or held attempt. */
import { duration } from './common.js';
import { FAILURE_CATEGORIES, HPCJobDefaults, RETRY_ACTIONS } from './hpcjob-constants.js';
import { arr, enumOf, int, num, obj, withRules } from './schema.js';

export const retryRuleSchema = withRules(
  obj(
    {
      onHoldCodes: arr(int({ description: 'An HTCondor HoldReasonCode.', minimum: 0, maximum: 100000 }), {
        description: 'Match when the job is held with one of these HoldReasonCodes.',
        maxItems: 64,
        listType: 'set',
      }),
      onHoldSubCodes: arr(int({ description: 'An HTCondor HoldReasonSubCode.', minimum: 0 }), {
        description: 'With onHoldCodes: also require one of these HoldReasonSubCodes.',
        maxItems: 64,
        listType: 'set',
      }),
      onExitCodes: arr(int({ description: 'A process exit code.', minimum: 0, maximum: 255 }), {
        description: 'Match when the step exits with one of these codes.',
        maxItems: 256,
        listType: 'set',
      }),
      onSignals: arr(int({ description: 'A signal number.', minimum: 1, maximum: 64 }), {
        description: 'Match when the step is killed by one of these signals.',
        maxItems: 64,
        listType: 'set',
      }),
      onCategories: arr(
        enumOf(FAILURE_CATEGORIES, {
          description: 'A failure category (see status.attempts[].failureCategory).',
        }),
        { description: 'Match on the failure category of the attempt.', maxItems: 16, listType: 'set' },
      ),
      action: enumOf(RETRY_ACTIONS, {
        description:
          'retry: a new attempt (a new HTCondor job) after the backoff; release: condor_release the held job after the backoff (only for holds); fail: stop now.',
      }),
      memoryFactor: num({
        description:
          'With action retry: multiply the memory request of the next attempt by this factor (e.g. 1.5 after a memory-exceeded hold).',
        minimum: 1,
        maximum: 16,
      }),
    },
    { description: 'A rule that decides what happens after a matching failure.', required: ['action'] },
  ),
  [
    {
      rule: 'has(self.onHoldCodes) || has(self.onExitCodes) || has(self.onSignals) || has(self.onCategories)',
      message: 'a rule must match on at least one of onHoldCodes, onExitCodes, onSignals, onCategories',
    },
    {
      rule: "self.action != 'release' || (has(self.onHoldCodes) && !has(self.onExitCodes) && !has(self.onSignals))",
      message: 'action release applies to holds only: use onHoldCodes without onExitCodes or onSignals',
    },
    {
      rule: "!has(self.memoryFactor) || self.action == 'retry'",
      message: 'memoryFactor needs action retry',
    },
    {
      rule: '!has(self.onHoldSubCodes) || has(self.onHoldCodes)',
      message: 'onHoldSubCodes needs onHoldCodes',
    },
  ],
);

export const retryPolicySchema = obj(
  {
    limit: int({
      description: 'Most attempts after the first (new HTCondor jobs); releases of a held job do not count.',
      minimum: 0,
      maximum: 100,
      default: HPCJobDefaults.retryLimit,
    }),
    releaseLimit: int({
      description: 'Most condor_release calls for one attempt before it is treated as failed.',
      minimum: 0,
      maximum: 100,
      default: HPCJobDefaults.releaseLimit,
    }),
    backoff: obj(
      {
        initial: duration('Delay before the first retry or release.', HPCJobDefaults.backoffInitial),
        max: duration('Longest delay between retries.', HPCJobDefaults.backoffMax),
        factor: num({
          description: 'Growth of the delay per retry.',
          minimum: 1,
          maximum: 10,
          default: HPCJobDefaults.backoffFactor,
        }),
      },
      { description: 'Exponential backoff with jitter between attempts.', default: {} },
    ),
    rules: arr(retryRuleSchema, {
      description:
        'Rules checked in order; the first match decides. Without a match, the defaults apply: transient holds (HTCondor codes 6/110, 11, 12, 13, 18, 36, 45) are released, permanent holds fail, a lost job or stage-in/out failure is retried, a non-zero exit fails.',
      maxItems: 32,
      listType: 'atomic',
    }),
  },
  { description: 'What to do when an attempt fails or is held.', default: {} },
);
