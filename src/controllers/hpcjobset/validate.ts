/**
 * What the operator refuses in an HPCJobSet before it submits anything: its template, judged as an HPCJob's
 * spec is (controllers/hpcjob/validate.ts, the same checks the admission webhook makes), then its items (keys
 * that cannot become variable names) and what differs per index (it must fit in a job environment
 * variable). A set stored while the webhook was away, or before it reviewed sets, meets these here. Pure.
 */
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { outputLimitError, validateSpec } from '../hpcjob/validate.js';
import { itemsProblem } from './index-env.js';
import { indexPayloadProblem } from './index-payload.js';

/** The first problem, its message naming the field (under spec.template for the template's); or undefined. */
export function setProblem(set: HPCJobSet, maxOutputBytesCeiling?: number): string | undefined {
  const template = set.spec.template ?? {};
  const e =
    validateSpec(template) ??
    (maxOutputBytesCeiling === undefined ? undefined : outputLimitError(template, maxOutputBytesCeiling));
  if (e) return e.message.replace(/^spec/, 'spec.template');
  return itemsProblem(set) ?? indexPayloadProblem(set);
}
