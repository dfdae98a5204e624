/**
 * metav1.Condition helpers, ported from apimachinery's pkg/api/meta/conditions.go:
 * lastTransitionTime changes only when status flips; a no-op update reports no change.
 */
import type { Condition } from '../crds/common.js';

export type ConditionStatus = Condition['status'];

export interface NewCondition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** Sets `c` in `conditions` (in place). Returns true when anything changed. */
export function setStatusCondition(conditions: Condition[], c: NewCondition, now = new Date()): boolean {
  const message = c.message.length > 32768 ? c.message.slice(0, 32765) + '...' : c.message;
  const existing = conditions.find((x) => x.type === c.type);
  if (!existing) {
    conditions.push({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message,
      lastTransitionTime: rfc3339(now),
      ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
    });
    return true;
  }
  let changed = false;
  if (existing.status !== c.status) {
    existing.status = c.status;
    existing.lastTransitionTime = rfc3339(now);
    changed = true;
  }
  if (existing.reason !== c.reason) {
    existing.reason = c.reason;
    changed = true;
  }
  if (existing.message !== message) {
    existing.message = message;
    changed = true;
  }
  if (c.observedGeneration !== undefined && existing.observedGeneration !== c.observedGeneration) {
    existing.observedGeneration = c.observedGeneration;
    changed = true;
  }
  return changed;
}

export function findStatusCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isStatusConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findStatusCondition(conditions, type)?.status === 'True';
}

/** Removes the condition of `type`. Returns true when it was there. */
export function removeStatusCondition(conditions: Condition[], type: string): boolean {
  const i = conditions.findIndex((c) => c.type === type);
  if (i < 0) return false;
  conditions.splice(i, 1);
  return true;
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
