/**
 * Kubernetes Events through events.k8s.io/v1, as controller-runtime's GetEventRecorder does. Recording never
 * blocks or fails a reconcile: an Event that cannot be written is logged and dropped. Events go out a few at
 * a time from a bounded buffer (client-go's broadcaster buffers 1,000 and drops beyond): when thousands of
 * jobs change at once they neither take memory per pending request nor crowd out the status writes.
 */
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { errorMessage } from './controller.js';
import type { KubeObject } from './informer.js';
import type { Metrics } from './metrics.js';

export type EventType = 'Normal' | 'Warning';

interface PendingEvent {
  body: k8s.EventsV1Event;
  reason: string;
  key: string;
}

export interface EventRecorderOptions {
  controller: string;
  instance: string;
  log: Logger;
  metrics?: Metrics;
  /** Events being written at once. */
  concurrency?: number;
  /** Events waiting; newer ones are dropped (and counted) while it is full. */
  bufferSize?: number;
}

export class EventRecorder {
  readonly #api: k8s.EventsV1Api;
  readonly #controller: string;
  readonly #instance: string;
  readonly #log: Logger;

  readonly #metrics: Metrics | undefined;
  readonly #pending: PendingEvent[] = [];
  readonly #concurrency: number;
  readonly #bufferSize: number;
  #inFlight = 0;
  #dropped = 0;

  constructor(kc: k8s.KubeConfig, o: EventRecorderOptions) {
    this.#metrics = o.metrics;
    this.#concurrency = o.concurrency ?? 4;
    this.#bufferSize = o.bufferSize ?? 1000;
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
    const key = `${namespace}/${obj.metadata.name}`;
    if (this.#pending.length >= this.#bufferSize) {
      this.#metrics?.kubeWrites.inc({ resource: 'events', verb: 'create', outcome: 'dropped' });
      // One line per burst, not per Event.
      if (this.#dropped++ === 0) this.#log.warn({ reason, key }, 'event buffer full: dropping events');
      return;
    }
    this.#pending.push({ body, reason, key });
    this.#drain();
  }

  /** Events waiting or being written. */
  get backlog(): number {
    return this.#pending.length + this.#inFlight;
  }

  #drain(): void {
    while (this.#inFlight < this.#concurrency && this.#pending.length > 0) {
      const { body, reason, key } = this.#pending.shift() as PendingEvent;
      this.#inFlight++;
      this.#api
        .createNamespacedEvent({ namespace: body.metadata?.namespace as string, body })
        .then(() => this.#metrics?.kubeWrites.inc({ resource: 'events', verb: 'create', outcome: 'success' }))
        .catch((e: unknown) => {
          this.#metrics?.kubeWrites.inc({ resource: 'events', verb: 'create', outcome: 'error' });
          this.#log.warn({ err: errorMessage(e), reason, key }, 'could not record event');
        })
        .finally(() => {
          this.#inFlight--;
          if (this.#pending.length === 0) this.#dropped = 0;
          this.#drain();
        });
    }
  }
}
