/**
 * Kubernetes Events through an EventSink (events.k8s.io/v1, as controller-runtime's GetEventRecorder).
 * Recording never blocks or fails a reconcile: an Event that cannot be written is logged and dropped. Events
 * go out one at a time from a bounded buffer, as client-go's broadcaster writes them (one goroutine per sink;
 * it buffers 1,000 and drops beyond): when thousands of jobs change at once they neither take memory per
 * pending request nor crowd out the status writes, which say the same exactly. With four at a time, 20,000
 * jobs held at once wrote 6,532 Events beside their 20,000 status writes (bench/hpcjobs.ts).
 * What repeats becomes a series and an object's Events are rate-limited (event-correlator.ts).
 *
 * A write the API server did not take (no answer: it is down or restarting; or 429 or 5xx) is tried again, as
 * client-go's broadcaster does: up to EVENT_WRITE_TRIES tries, EVENT_RETRY_MS apart (the first wait random, so
 * that replicas do not come back in step), the writes behind it waiting. A write it refused (4xx) is not.
 */
import type { Logger } from 'pino';
import { every, systemClock, systemRandom, type Clock, type Random, type Timer } from './clock.js';
import { EventCorrelator, SERIES_FINISH_MS, type SeriesWrite } from './event-correlator.js';
import type { EventType, Recorder } from './event-types.js';
import {
  codeOf,
  errorMessage,
  microTime,
  type EventRecord,
  type EventSink,
  type KubeObject,
} from './kube-api.js';
import type { Metrics } from './metrics.js';

export interface EventRecorderOptions {
  /** reportingController, e.g. hpc.scailfin.io/hpcjob-controller. */
  controller: string;
  /** This replica; reportingInstance is `${controller}-${instance}`, at most 128 characters. */
  instance: string;
  log: Logger;
  metrics?: Metrics;
  /** Events being written at once. Default 1 (client-go's). */
  concurrency?: number;
  /** Events waiting; newer ones are dropped (and counted) while it is full. Default 1000. */
  bufferSize?: number;
  /** eventTime and the name suffix; default systemClock. */
  clock?: Clock;
  /** The name suffix; default systemRandom. */
  random?: Random;
  /** Told of every Event write sent (a create or a series patch) and its outcome: success, or error. */
  onWrite?: (verb: EventVerb, outcome: 'success' | 'error') => void;
}

/** An Event write: a new Event, or the count of a series. */
export type EventVerb = 'create' | 'patch';

/** Tries of one Event write that the API server did not take, and the wait between them (client-go's). */
export const EVENT_WRITE_TRIES = 12;
export const EVENT_RETRY_MS = 10_000;

/** Whether the API server did not take a write: no answer at all, too many requests, or its own failure. */
function notTaken(e: unknown): boolean {
  const code = codeOf(e);
  return code === undefined || code === 429 || code >= 500;
}

/** What a write is, for its log lines: the Event's reason, or a series count. */
const reasonOf = (w: PendingWrite): string => (w.verb === 'create' ? w.record.reason : 'series');

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

/** A write waiting in the buffer: `key` is what the Event is (its series), `ref` whom it is about. */
type PendingWrite = { ref: string; key: string } & (
  { verb: 'create'; record: EventRecord } | { verb: 'patch'; series: SeriesWrite }
);

export class EventRecorder implements Recorder {
  readonly #sink: EventSink;
  readonly #controller: string;
  readonly #instance: string;
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #onWrite: EventRecorderOptions['onWrite'];
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #pending: PendingWrite[] = [];
  readonly #concurrency: number;
  readonly #bufferSize: number;
  readonly #correlator = new EventCorrelator();
  /** Writes the counts of series that ended or went on long; runs while the correlator keeps anything. */
  #sweep: Timer | undefined;
  #inFlight = 0;
  #dropped = 0;

  constructor(sink: EventSink, o: EventRecorderOptions) {
    this.#sink = sink;
    this.#metrics = o.metrics;
    this.#onWrite = o.onWrite;
    this.#concurrency = o.concurrency ?? 1;
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
    const ref = `${namespace}/${obj.metadata.name}`;
    const now = this.#clock.now();
    const cut = note.length > MAX_NOTE ? note.slice(0, MAX_NOTE - 3) + '...' : note;
    const key = JSON.stringify([ref, obj.metadata.uid, type, reason, action, cut]);
    const name = eventName(obj.metadata.name, this.#suffix(now));
    const verdict = this.#correlator.observe(ref, key, { namespace, name }, now);
    this.#startSweep();
    switch (verdict.write) {
      case 'counted':
        return;
      case 'filtered':
        this.#metrics?.kubeWrites.inc({ resource: 'events', verb: 'create', outcome: 'filtered' });
        return;
      case 'series':
        return this.#enqueue({ ref, key, verb: 'patch', series: verdict.series }, reason);
    }
    const record: EventRecord = {
      name,
      namespace,
      eventTime: microTime(now),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      action,
      reason,
      type,
      note: cut,
      regarding: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
    };
    this.#enqueue({ ref, key, verb: 'create', record }, reason);
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

  #enqueue(w: PendingWrite, reason: string): void {
    if (this.#pending.length >= this.#bufferSize) {
      this.#metrics?.kubeWrites.inc({ resource: 'events', verb: w.verb, outcome: 'dropped' });
      if (w.verb === 'create') this.#correlator.created(w.key, false);
      // One line per burst, not per Event.
      if (this.#dropped++ === 0) this.#log.warn({ reason, key: w.ref }, 'event buffer full: dropping events');
      return;
    }
    this.#pending.push(w);
    this.#drain();
  }

  #startSweep(): void {
    if (this.#sweep || this.#correlator.size === 0) return;
    this.#sweep = every(this.#clock, SERIES_FINISH_MS, () => {
      for (const { key, series } of this.#correlator.due(this.#clock.now()))
        this.#enqueue({ ref: `${series.namespace}/${series.name}`, key, verb: 'patch', series }, 'series');
      if (this.#correlator.size > 0) return;
      this.#sweep?.cancel();
      this.#sweep = undefined;
    });
  }

  /** Writes `w`, trying again while the API server does not take it (see the header). */
  async #writeTrying(w: PendingWrite): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.#write(w);
      } catch (e) {
        // An earlier try that got no answer had created it after all (its name is fixed at recording).
        if (tries > 1 && w.verb === 'create' && codeOf(e) === 409) return;
        if (!notTaken(e) || tries >= EVENT_WRITE_TRIES) throw e;
        this.#log.info(
          { err: errorMessage(e), reason: reasonOf(w), key: w.ref, tries },
          'could not record event: trying again',
        );
        await this.#clock.sleep(tries === 1 ? this.#random() * EVENT_RETRY_MS : EVENT_RETRY_MS);
      }
    }
  }

  #write(w: PendingWrite): Promise<void> {
    if (w.verb === 'create') return this.#sink.create(w.record);
    const { namespace, name, count, lastObserved } = w.series;
    return this.#sink.patchSeries(namespace, name, { count, lastObservedTime: microTime(lastObserved) });
  }

  #drain(): void {
    while (this.#inFlight < this.#concurrency && this.#pending.length > 0) {
      const w = this.#pending.shift() as PendingWrite;
      this.#inFlight++;
      this.#writeTrying(w)
        .then(() => this.#outcome(w, 'success'))
        .catch((e: unknown) => {
          this.#outcome(w, 'error');
          this.#log.warn({ err: errorMessage(e), reason: reasonOf(w), key: w.ref }, 'could not record event');
        })
        .finally(() => {
          this.#inFlight--;
          if (this.#pending.length === 0) this.#dropped = 0;
          this.#drain();
        });
    }
  }

  #outcome(w: PendingWrite, outcome: 'success' | 'error'): void {
    this.#metrics?.kubeWrites.inc({ resource: 'events', verb: w.verb, outcome });
    this.#onWrite?.(w.verb, outcome);
    if (w.verb === 'create') this.#correlator.created(w.key, outcome === 'success');
    else if (outcome === 'error') this.#correlator.seriesFailed(w.key);
  }
}
