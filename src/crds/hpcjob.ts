/**
 * HPCJob: one workflow step on HPC, reconciled into an HTCondor job. The schemas (hpcjob-spec.ts,
 * hpcjob-status.ts, hpcjob-retry.ts) are the single source of the CRD (config/crd) and of the types below.
 */
import type { Condition, ObjectMeta } from './common.js';
import type { HPCJOB_KIND } from './hpcjob-constants.js';
import type { retryPolicySchema, retryRuleSchema } from './hpcjob-retry.js';
import type { envVarSchema, hpcJobSpecSchema } from './hpcjob-spec.js';
import type { attemptSchema, hpcJobStatusSchema } from './hpcjob-status.js';
import type { Infer } from './schema.js';

export * from './hpcjob-constants.js';
export { hpcJobSpecSchema } from './hpcjob-spec.js';
export { hpcJobStatusSchema } from './hpcjob-status.js';

export type HPCJobSpec = Infer<typeof hpcJobSpecSchema>;
export type HPCJobStatus = Infer<typeof hpcJobStatusSchema>;
export type Attempt = Infer<typeof attemptSchema>;
export type RetryRule = Infer<typeof retryRuleSchema>;
export type RetryPolicy = Infer<typeof retryPolicySchema>;
export type EnvVar = Infer<typeof envVarSchema>;

export interface HPCJob {
  apiVersion: string;
  kind: typeof HPCJOB_KIND;
  metadata: ObjectMeta;
  spec: HPCJobSpec;
  status?: HPCJobStatus;
}

export type { Condition };

export const hpcJobPrinterColumns = [
  { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Life-cycle phase.' },
  { name: 'Attempts', type: 'integer', jsonPath: '.status.attempt', description: 'Current attempt number.' },
  { name: 'Job', type: 'string', jsonPath: '.status.jobId', description: 'HTCondor ClusterId.ProcId.' },
  {
    name: 'VirtualCluster',
    type: 'string',
    jsonPath: '.spec.virtualClusterRef.name',
    description: 'VirtualCluster it runs on.',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  {
    name: 'Message',
    type: 'string',
    jsonPath: '.status.message',
    priority: 1,
    description: 'Last status message.',
  },
] as const;
