/** The schema of an HPCJobSet's spec: N similar steps from one HPCJob template (the source of the CRD and the types). */
import { hpcJobSpecSchema } from './hpcjob-spec.js';
import { NO_NUL_PATTERN } from './hpcjob-constants.js';
import { MAX_ITEM_KEYS, MAX_ITEM_VALUE, MAX_SET_INDICES } from './hpcjobset-constants.js';
import { arr, bool, describe, immutable, int, mapOf, obj, str, withRules } from './schema.js';

const itemSchema = mapOf(
  str({
    description: 'A value (any text but NUL); the step gets it as HPC_ITEM_<KEY>.',
    pattern: NO_NUL_PATTERN,
    maxLength: MAX_ITEM_VALUE,
  }),
  {
    description:
      'One item: keys are names (letters, digits and _, not starting with a digit, at most 64 characters; the operator checks them) and become HPC_ITEM_<KEY>.',
    maxProperties: MAX_ITEM_KEYS,
  },
);

/** What a set leaves to itself rather than to its template: one owner for each, named in the message. */
const TEMPLATE_RULES = [
  {
    rule: '!has(self.template.suspend) || !self.template.suspend',
    message: 'spec.template.suspend must not be set: suspend the whole set with spec.suspend',
    fieldPath: '.template.suspend',
  },
  {
    rule: '!has(self.template.ttlSecondsAfterFinished)',
    message:
      'spec.template.ttlSecondsAfterFinished must not be set: use spec.ttlSecondsAfterFinished of the set',
    fieldPath: '.template.ttlSecondsAfterFinished',
  },
  {
    rule: '!has(self.template.resources) || !has(self.template.resources.nodes) || self.template.resources.nodes == 1',
    message: 'spec.template.resources.nodes must be 1: gang steps cannot be indices of a set',
    fieldPath: '.template.resources.nodes',
  },
];

export const hpcJobSetSpecSchema = withRules(
  obj(
    {
      template: immutable(
        describe(
          hpcJobSpecSchema,
          'The HPCJob spec every index runs, with its fields and rules (docs/reference/hpcjob.md). The step gets HPC_INDEX and, with items, HPC_ITEM_<KEY> in its environment; $(HPC_INDEX) and $(HPC_ITEM_<KEY>) in args are replaced by their values ($$ writes a literal $).',
        ),
        'spec.template',
      ),
      count: immutable(
        int({
          description: 'Run this many indices, 0 to count-1. Exclusive with items.',
          minimum: 1,
          maximum: MAX_SET_INDICES,
        }),
        'spec.count',
      ),
      items: immutable(
        arr(itemSchema, {
          description: 'Run one index per item, in order (index 0 is the first item). Exclusive with count.',
          minItems: 1,
          maxItems: MAX_SET_INDICES,
          listType: 'atomic',
        }),
        'spec.items',
      ),
      parallelism: int({
        description:
          'Most indices submitted to HTCondor (idle, running or held) at once; default all. The rest wait in the operator, as Pending.',
        minimum: 1,
        maximum: MAX_SET_INDICES,
      }),
      suspend: bool({
        description:
          "true holds the set's jobs in HTCondor and submits no more; false releases them and goes on.",
        default: false,
      }),
      ttlSecondsAfterFinished: int({
        description:
          'Seconds after the set finished (Succeeded or Failed) after which the operator deletes it.',
        minimum: 0,
        format: 'int64',
      }),
    },
    {
      description: 'What each index runs, how many indices there are and how many run at once.',
      required: ['template'],
    },
  ),
  [
    {
      rule: 'has(self.count) != has(self.items)',
      message: 'exactly one of spec.count and spec.items must be set',
    },
    ...TEMPLATE_RULES,
  ],
);
