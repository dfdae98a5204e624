/**
 * Validation of a VirtualCluster beyond its CRD schema: durations and quantities that the schema's patterns
 * let through but no batch system, HTCondor setting or date can carry (a lifetime of 30 million days makes
 * no expiry date at all). A failure never reaches a site: the VirtualCluster is Failed with Ready=False, the
 * field and the reason.
 */
import { ALLOCATION_DEFAULTS, type VirtualClusterSpec } from '../../crds/virtualcluster.js';
import { durationMs, durationProblem, quantityProblem } from '../../util/units.js';
import { ReadyReason } from './reasons.js';

export interface ValidationError {
  field: string;
  reason: string;
  message: string;
}

export function validateVirtualClusterSpec(spec: VirtualClusterSpec): ValidationError | undefined {
  const durations: [string, string | undefined][] = [
    ['spec.lifetime', spec.lifetime],
    ['spec.steps.defaultWalltime', spec.steps?.defaultWalltime],
    ['spec.steps.walltimeMargin', spec.steps?.walltimeMargin],
  ];
  const quantities: [string, string | undefined][] = [];
  (spec.allocations ?? []).forEach((a, i) => {
    const at = `spec.allocations[${i}]`;
    durations.push(
      [`${at}.walltime`, a.walltime],
      [`${at}.maxWalltime`, a.maxWalltime],
      [`${at}.workers.idleShutdown`, a.workers?.idleShutdown],
    );
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
  const shortMax = (spec.allocations ?? []).findIndex(
    (a) =>
      a.maxWalltime !== undefined &&
      durationMs(a.maxWalltime) < durationMs(a.walltime ?? ALLOCATION_DEFAULTS.walltime),
  );
  if (shortMax >= 0)
    return {
      field: `spec.allocations[${shortMax}].maxWalltime`,
      reason: ReadyReason.InvalidDuration,
      message: `spec.allocations[${shortMax}].maxWalltime must not be shorter than its walltime`,
    };
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
