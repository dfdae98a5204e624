/**
 * Validation of a VirtualCluster beyond its CRD schema: durations and quantities that the schema's patterns
 * let through but no batch system, HTCondor setting or date can carry (a lifetime of 30 million days makes
 * no expiry date at all). A failure never reaches a site: the VirtualCluster is Failed with Ready=False, the
 * field and the reason.
 */
import type { VirtualClusterSpec } from '../../crds/virtualcluster.js';
import { durationProblem, quantityProblem } from '../../util/units.js';
import { ReadyReason } from './reasons.js';

export interface ValidationError {
  field: string;
  reason: string;
  message: string;
}

export function validateVirtualClusterSpec(spec: VirtualClusterSpec): ValidationError | undefined {
  const durations: [string, string | undefined][] = [['spec.lifetime', spec.lifetime]];
  const quantities: [string, string | undefined][] = [];
  (spec.allocations ?? []).forEach((a, i) => {
    const at = `spec.allocations[${i}]`;
    durations.push([`${at}.walltime`, a.walltime], [`${at}.workers.idleShutdown`, a.workers?.idleShutdown]);
    quantities.push([`${at}.workers.memory`, a.workers?.memory]);
  });
  for (const [field, d] of durations) {
    const problem = d === undefined ? undefined : durationProblem(d);
    if (problem)
      return {
        field,
        reason: ReadyReason.InvalidDuration,
        message: `${field} ${JSON.stringify(d)} ${problem}`,
      };
  }
  for (const [field, q] of quantities) {
    const problem = q === undefined ? undefined : quantityProblem(q);
    if (problem)
      return {
        field,
        reason: ReadyReason.InvalidQuantity,
        message: `${field} ${JSON.stringify(q)} ${problem}`,
      };
  }
  return undefined;
}
