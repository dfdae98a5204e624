/**
 * HPCJobSet: N similar steps (a sweep) from one HPCJob template, run as one HTCondor cluster per submission.
 * The schemas (hpcjobset-spec.ts, hpcjobset-status.ts) are the single source of the CRD and of the types.
 */
import type { ObjectMeta } from './common.js';
import type { HPCJOBSET_KIND } from './hpcjobset-constants.js';
import type { hpcJobSetSpecSchema } from './hpcjobset-spec.js';
import type { hpcJobSetStatusSchema, indexRecordSchema } from './hpcjobset-status.js';
import type { Infer } from './schema.js';

export * from './hpcjobset-constants.js';
export { hpcJobSetSpecSchema } from './hpcjobset-spec.js';
export { hpcJobSetStatusSchema } from './hpcjobset-status.js';

export type HPCJobSetSpec = Infer<typeof hpcJobSetSpecSchema>;
export type HPCJobSetStatus = Infer<typeof hpcJobSetStatusSchema>;
export type IndexRecord = Infer<typeof indexRecordSchema>;

export interface HPCJobSet {
  apiVersion: string;
  kind: typeof HPCJOBSET_KIND;
  metadata: ObjectMeta;
  spec: HPCJobSetSpec;
  status?: HPCJobSetStatus;
}

export const hpcJobSetPrinterColumns = [
  { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Life-cycle phase.' },
  { name: 'Total', type: 'integer', jsonPath: '.status.total', description: 'Number of indices.' },
  {
    name: 'Succeeded',
    type: 'integer',
    jsonPath: '.status.counts.succeeded',
    description: 'Indices that succeeded.',
  },
  { name: 'Running', type: 'integer', jsonPath: '.status.counts.running', description: 'Indices running.' },
  {
    name: 'Failed',
    type: 'integer',
    jsonPath: '.status.counts.failed',
    description: 'Indices that failed for good.',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  {
    name: 'Pending',
    type: 'integer',
    jsonPath: '.status.counts.pending',
    priority: 1,
    description: 'Indices not submitted yet (parallelism, suspend or backoff).',
  },
  {
    name: 'Held',
    type: 'integer',
    jsonPath: '.status.counts.held',
    priority: 1,
    description: 'Indices held.',
  },
  {
    name: 'Message',
    type: 'string',
    jsonPath: '.status.message',
    priority: 1,
    description: 'Last status message.',
  },
] as const;
