/**
 * Kubernetes Events through events.k8s.io/v1, as controller-runtime's GetEventRecorder does. Recording never
 * blocks or fails a reconcile: an Event that cannot be written is logged and dropped.
 */
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { errorMessage } from './controller.js';
import type { KubeObject } from './informer.js';
import type { Metrics } from './metrics.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  readonly #api: k8s.EventsV1Api;
  readonly #controller: string;
  readonly #instance: string;
  readonly #log: Logger;

  readonly #metrics: Metrics | undefined;

  constructor(
    kc: k8s.KubeConfig,
    o: { controller: string; instance: string; log: Logger; metrics?: Metrics },
  ) {
    this.#metrics = o.metrics;
    this.#api = kc.makeApiClient(k8s.EventsV1Api);
    this.#controller = o.controller;
    this.#instance = `${o.controller}-${o.instance}`.slice(0, 128);
    this.#log = o.log;
  }

  /** Records an Event about `obj`: reason is CamelCase, action what the operator did, note for people. */
  event(
    obj: KubeObject & { apiVersion?: string; kind?: string },
    type: EventType,
    reason: string,
    action: string,
    note: string,
  ): void {
    const namespace = obj.metadata.namespace ?? 'default';
    const body: k8s.EventsV1Event = {
      metadata: {
        name: `${obj.metadata.name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`,
        namespace,
      },
      eventTime: new k8s.V1MicroTime(),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      action,
      reason,
      type,
      note: note.length > 1024 ? note.slice(0, 1021) + '...' : note,
      regarding: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
    };
    this.#api
      .createNamespacedEvent({ namespace, body })
      .then(() => this.#metrics?.kubeWrites.inc({ resource: 'events', verb: 'create', outcome: 'success' }))
      .catch((e: unknown) => {
        this.#metrics?.kubeWrites.inc({ resource: 'events', verb: 'create', outcome: 'error' });
        this.#log.warn(
          { err: errorMessage(e), reason, key: `${namespace}/${obj.metadata.name}` },
          'could not record event',
        );
      });
  }
}
