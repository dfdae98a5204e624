/**
 * Kubernetes Events through an EventSink (events.k8s.io/v1, as controller-runtime's GetEventRecorder).
 * Recording never blocks or fails a reconcile: an Event that cannot be written is logged and dropped. Events
 * go out a few at a time from a bounded buffer (client-go's broadcaster buffers 1,000 and drops beyond): when
 * thousands of jobs change at once they neither take memory per pending request nor crowd out the status
 * writes.
 */
import type { Logger } from 'pino';
import { systemClock, systemRandom, type Clock, type Random } from './clock.js';
import type { EventType, Recorder } from './event-types.js';
import { errorMessage, microTime, type EventRecord, type EventSink, type KubeObject } from './kube-api.js';
import type { Metrics } from './metrics.js';

export interface EventRecorderOptions {
  /** reportingController, e.g. hpc.scailfin.io/hpcjob-controller. */
  controller: string;
  /** This replica; reportingInstance is `${controller}-${instance}`, at most 128 characters. */
  instance: string;
  log: Logger;
  metrics?: Metrics;
  /** Events being written at once. Default 4. */
  concurrency?: number;
  /** Events waiting; newer ones are dropped (and counted) while it is full. Default 1000. */
  bufferSize?: number;
  /** eventTime and the name suffix; default systemClock. */
  clock?: Clock;
  /** The name suffix; default systemRandom. */
  random?: Random;
}

/** An object name (DNS subdomain) is at most 253 characters. */
export const MAX_OBJECT_NAME = 253;
/** A note is at most 1 KiB (events.k8s.io/v1 validation). */
const MAX_NOTE = 1024;
const MAX_REPORTING_INSTANCE = 128;

/**
 * `${objectName}.${suffix}`, within MAX_OBJECT_NAME: a long object name is cut so the whole fits, and the cut
 * never leaves a '.' or '-' before the suffix (the name stays a valid DNS subdomain).
 */
export function eventName(objectName: string, suffix: string): string {
  const room = MAX_OBJECT_NAME - suffix.length - 1;
  const base = objectName.slice(0, Math.max(0, room)).replace(/[.-]+$/, '');
  return base ? `${base}.${suffix}` : suffix;
}

interface PendingEvent {
  record: EventRecord;
  key: string;
}

export class EventRecorder implements Recorder {
  readonly #sink: EventSink;
  readonly #controller: string;
  readonly #instance: string;
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #pending: PendingEvent[] = [];
  readonly #concurrency: number;
  readonly #bufferSize: number;
  #inFlight = 0;
  #dropped = 0;

  constructor(sink: EventSink, o: EventRecorderOptions) {
    this.#sink = sink;
    this.#metrics = o.metrics;
    this.#concurrency = o.concurrency ?? 4;
    this.#bufferSize = o.bufferSize ?? 1000;
    this.#controller = o.controller;
    this.#instance = `${o.controller}-${o.instance}`.slice(0, MAX_REPORTING_INSTANCE);
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#random = o.random ?? systemRandom;
  }

  /** Records an Event about `obj`: reason is CamelCase, action what the operator did, note for people. */
  event(obj: KubeObject, type: EventType, reason: string, action: string, note: string): void {
    const namespace = obj.metadata.namespace ?? 'default';
    const key = `${namespace}/${obj.metadata.name}`;
    if (this.#pending.length >= this.#bufferSize) {
      this.#metrics?.kubeWrites.inc({ resource: 'events', verb: 'create', outcome: 'dropped' });
      // One line per burst, not per Event.
      if (this.#dropped++ === 0) this.#log.warn({ reason, key }, 'event buffer full: dropping events');
      return;
    }
    const now = this.#clock.now();
    const record: EventRecord = {
      name: eventName(obj.metadata.name, this.#suffix(now)),
      namespace,
      eventTime: microTime(now),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      action,
      reason,
      type,
      note: note.length > MAX_NOTE ? note.slice(0, MAX_NOTE - 3) + '...' : note,
      regarding: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
    };
    this.#pending.push({ record, key });
    this.#drain();
  }

  /** Events waiting or being written. */
  get backlog(): number {
    return this.#pending.length + this.#inFlight;
  }

  /** The time in hex and 24 random bits: unique per object without asking the API server for a name. */
  #suffix(now: number): string {
    const bits = Math.floor(this.#random() * 0x1000000);
    return `${now.toString(16)}${bits.toString(16).padStart(6, '0')}`;
  }

  #drain(): void {
    while (this.#inFlight < this.#concurrency && this.#pending.length > 0) {
      const { record, key } = this.#pending.shift() as PendingEvent;
      this.#inFlight++;
      this.#sink
        .create(record)
        .then(() => this.#metrics?.kubeWrites.inc({ resource: 'events', verb: 'create', outcome: 'success' }))
        .catch((e: unknown) => {
          this.#metrics?.kubeWrites.inc({ resource: 'events', verb: 'create', outcome: 'error' });
          this.#log.warn({ err: errorMessage(e), reason: record.reason, key }, 'could not record event');
        })
        .finally(() => {
          this.#inFlight--;
          if (this.#pending.length === 0) this.#dropped = 0;
          this.#drain();
        });
    }
  }
}
