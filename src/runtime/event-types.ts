/** Kubernetes Events as reconcilers see them: a type and a recorder that never blocks or fails a reconcile. */
import type { KubeObject } from './kube-api.js';

/** events.k8s.io/v1 `type`. */
export type EventType = 'Normal' | 'Warning';

/** One Event a reconcile decided on: CamelCase reason, what the operator did (action), a note for people. */
export interface PlannedEvent {
  type: EventType;
  reason: string;
  action: string;
  note: string;
}

/** Records Events about objects; buffered, so a failing API server never slows or fails a reconcile. */
export interface Recorder {
  event(obj: KubeObject, type: EventType, reason: string, action: string, note: string): void;
}
