/**
 * Where a VirtualCluster is in its life (pure): being deleted, terminated, refused, past its lifetime, or
 * active. The observation and the transition both ask, with the same `now`, so that the one gathers exactly
 * what the other reads.
 */
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { durationMs } from '../../util/units.js';
import type { Effect, Mode } from './model.js';
import { VC_FINALIZER } from './reasons.js';
import { validateVirtualClusterSpec } from './validate.js';

/**
 * When the lifetime ends (ms since the epoch, whole seconds as status.expiresAt shows it), if the spec sets
 * one; counted from creation.
 */
export function expiresAtMs(vc: VirtualCluster, now: number): number | undefined {
  if (!vc.spec.lifetime) return undefined;
  const created = Date.parse(vc.metadata.creationTimestamp ?? '') || now;
  return Math.floor((created + durationMs(vc.spec.lifetime)) / 1000) * 1000;
}

export function modeOf(vc: VirtualCluster, now: number): Mode {
  if (vc.metadata.deletionTimestamp) return 'deleting';
  if (vc.status?.phase === 'Terminated') return 'terminated';
  // A spec the schema let through but no site or date can carry: Failed, and nothing sent anywhere.
  if (validateVirtualClusterSpec(vc.spec)) return 'invalid';
  const expires = expiresAtMs(vc, now);
  if (expires !== undefined && expires <= now) return 'expired';
  return 'active';
}

/** The finalizer goes on before anything touches a site. */
export function finalizerFirst(vc: VirtualCluster): Effect[] {
  return vc.metadata.finalizers?.includes(VC_FINALIZER) ? [] : [{ kind: 'addFinalizer' }];
}
