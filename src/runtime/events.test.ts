import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { ManualClock, flushPromises } from '../../test/support/manual-clock.js';
import { seededRandom } from '../../test/support/random.js';
import { SERIES_FINISH_MS, SPAM_BURST, SPAM_REFILL_MS } from './event-correlator.js';
import {
  EVENT_RETRY_MS,
  EVENT_WRITE_TRIES,
  EventRecorder,
  MAX_OBJECT_NAME,
  eventName,
  type EventVerb,
} from './events.js';
import { ApiError, type EventRecord, type EventSeries, type EventSink, type KubeObject } from './kube-api.js';
import { Metrics } from './metrics.js';

const log = pino({ level: process.env.DEBUG_TEST ? 'debug' : 'silent' });

/** An EventSink that holds every write until released (or failed). */
class HeldSink implements EventSink {
  readonly received: EventRecord[] = [];
  readonly series: (EventSeries & { name: string })[] = [];
  readonly #held: { resolve: () => void; reject: (e: Error) => void }[] = [];
  maxOpen = 0;

  create(event: EventRecord): Promise<void> {
    this.received.push(event);
    return new Promise((resolve, reject) => {
      this.#held.push({ resolve, reject });
      this.maxOpen = Math.max(this.maxOpen, this.#held.length);
    });
  }

  patchSeries(_namespace: string, name: string, series: EventSeries): Promise<void> {
    this.series.push({ name, ...series });
    return new Promise((resolve, reject) => this.#held.push({ resolve, reject }));
  }

  get open(): number {
    return this.#held.length;
  }

  releaseAll(): void {
    for (const h of this.#held.splice(0)) h.resolve();
  }

  /** Fails every write held: by default as the API server refuses one (422). */
  failAll(e: Error = new ApiError(422, 'Event.events.k8s.io is invalid')): void {
    for (const h of this.#held.splice(0)) h.reject(e);
  }

  /** Fails every write held as when nobody answers (the API server is down or restarting). */
  unanswered(): void {
    this.failAll(new Error('connect ECONNREFUSED 127.0.0.1:6443'));
  }
}

function hpcJob(name: string): KubeObject {
  return {
    apiVersion: 'hpc.scailfin.io/v1alpha1',
    kind: 'HPCJob',
    metadata: { name, namespace: 'n', uid: 'u-1', resourceVersion: '7' },
  };
}

async function counted(metrics: Metrics, outcome: string): Promise<number | undefined> {
  const m = await metrics.registry.getSingleMetric('hpc_kube_writes_total')?.get();
  return m?.values.find((v) => v.labels.outcome === outcome && v.labels.resource === 'events')?.value;
}

/** A recorder over a HeldSink on a manual clock, with its metrics. */
function onManualClock(random?: () => number) {
  const metrics = new Metrics({ defaultMetrics: false });
  const sink = new HeldSink();
  const clock = new ManualClock();
  const rec = new EventRecorder(sink, { controller: 'c', instance: 'i', log, metrics, clock, random });
  return { metrics, sink, clock, rec };
}

/** A DNS subdomain (RFC 1123): lowercase alphanumerics, '-' and '.', starting and ending alphanumeric. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('EventRecorder', () => {
  it('writes a few Events at a time and drops (and counts) what overflows its buffer', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const sink = new HeldSink();
    const rec = new EventRecorder(sink, {
      controller: 'test',
      instance: 'i',
      log,
      metrics,
      concurrency: 3,
      bufferSize: 10,
    });
    for (let i = 0; i < 20; i++) rec.event(hpcJob('j'), 'Normal', 'Test', 'Test', `event ${i}`);
    // 3 in flight, 10 waiting, 7 dropped.
    expect(rec.backlog).toBe(13);
    expect(await counted(metrics, 'dropped')).toBe(7);
    while (rec.backlog > 0) {
      sink.releaseAll();
      await flushPromises();
    }
    expect(sink.received.map((e) => e.note)).toEqual(Array.from({ length: 13 }, (_, i) => `event ${i}`));
    expect(sink.maxOpen).toBe(3);
    expect(await counted(metrics, 'success')).toBe(13);
  });

  it('writes one Event at a time by default, as client-go does, so a burst never crowds out status writes', async () => {
    const sink = new HeldSink();
    const rec = new EventRecorder(sink, { controller: 'test', instance: 'i', log });
    for (const n of ['a', 'b', 'c']) rec.event(hpcJob(n), 'Warning', 'Held', 'Hold', `held ${n}`);
    await flushPromises();
    expect(sink.open).toBe(1);
    while (rec.backlog > 0) {
      sink.releaseAll();
      await flushPromises();
    }
    expect(sink.received.map((e) => e.note)).toEqual(['held a', 'held b', 'held c']);
    expect(sink.maxOpen).toBe(1);
  });

  it('logs and counts an Event the sink refuses, and goes on with the next', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const sink = new HeldSink();
    const rec = new EventRecorder(sink, { controller: 'test', instance: 'i', log, metrics, concurrency: 1 });
    rec.event(hpcJob('a'), 'Warning', 'Failed', 'Submit', 'first');
    rec.event(hpcJob('b'), 'Normal', 'Submitted', 'Submit', 'second');
    sink.failAll();
    await flushPromises();
    expect(sink.open).toBe(1);
    sink.releaseAll();
    await flushPromises();
    expect(rec.backlog).toBe(0);
    expect(await counted(metrics, 'error')).toBe(1);
    expect(await counted(metrics, 'success')).toBe(1);
  });

  it('fills the record from the object, its clock (microseconds) and the reporting identity', () => {
    const sink = new HeldSink();
    const clock = new ManualClock(Date.UTC(2026, 2, 4, 5, 6, 7, 890));
    const rec = new EventRecorder(sink, {
      controller: 'ctl',
      instance: 'pod-1',
      log,
      clock,
      random: seededRandom(1),
    });
    rec.event(hpcJob('job'), 'Normal', 'Submitted', 'Submit', 'x'.repeat(2000));
    const e = sink.received[0] as EventRecord;
    expect(e.eventTime).toBe('2026-03-04T05:06:07.890000Z');
    expect(e.name).toMatch(/^job\.[0-9a-f]+$/);
    expect(e.name.startsWith(`job.${clock.now().toString(16)}`)).toBe(true);
    expect(e.reportingInstance).toBe('ctl-pod-1');
    expect(e.note).toHaveLength(1024);
    expect(e.regarding).toEqual({
      apiVersion: 'hpc.scailfin.io/v1alpha1',
      kind: 'HPCJob',
      name: 'job',
      namespace: 'n',
      uid: 'u-1',
      resourceVersion: '7',
    });
  });

  it('Event names over 253 characters for long HPCJob names', () => {
    const sink = new HeldSink();
    const clock = new ManualClock();
    const rec = new EventRecorder(sink, {
      controller: 'c',
      instance: 'i',
      log,
      clock,
      random: seededRandom(7),
      concurrency: 4,
    });
    // The suffix is the time in hex and 6 hex digits; what is left of 253 characters goes to the name.
    const room = MAX_OBJECT_NAME - (clock.now().toString(16).length + 6) - 1;
    const names = [
      'a'.repeat(253),
      'b'.repeat(room + 1),
      // A cut right after '.-' must not leave them before the suffix.
      `${'c'.repeat(room - 2)}.-.${'d'.repeat(10)}`,
      `${'e'.repeat(100)}.${'f'.repeat(152)}`,
    ];
    for (const n of names) rec.event(hpcJob(n), 'Normal', 'Test', 'Test', 'note');
    expect(sink.received).toHaveLength(names.length);
    for (const e of sink.received) {
      expect(e.name.length).toBeLessThanOrEqual(MAX_OBJECT_NAME);
      expect(e.name).toMatch(DNS_SUBDOMAIN);
      expect(e.regarding.name.startsWith(e.name.slice(0, e.name.lastIndexOf('.')))).toBe(true);
    }
    expect(sink.received[2]?.name.startsWith(`${'c'.repeat(room - 2)}.`)).toBe(true);
    expect(sink.received[2]?.name.length).toBe(MAX_OBJECT_NAME - 2);
  });

  it('eventName keeps short names whole and cuts long ones to fit', () => {
    expect(eventName('job', 'abc')).toBe('job.abc');
    expect(eventName('x'.repeat(300), 'abc')).toBe(`${'x'.repeat(249)}.abc`);
    expect(eventName(`${'x'.repeat(248)}-y`, 'abc')).toBe(`${'x'.repeat(248)}.abc`);
  });
});

describe('EventRecorder: series and spam filter (client-go)', () => {
  const settle = async (sink: HeldSink, rec: EventRecorder) => {
    while (rec.backlog > 0) {
      sink.releaseAll();
      await flushPromises();
    }
  };

  it('makes one Event with a series count of what repeats, written at the second and when it ends', async () => {
    const sink = new HeldSink();
    const clock = new ManualClock();
    const writes: EventVerb[] = [];
    const rec = new EventRecorder(sink, {
      controller: 'c',
      instance: 'i',
      log,
      clock,
      random: seededRandom(3),
      onWrite: (verb) => writes.push(verb),
    });
    const blocked = () => rec.event(hpcJob('j'), 'Warning', 'CleanupBlocked', 'Delete', 'schedd down');
    blocked();
    await settle(sink, rec);
    for (let i = 0; i < 4; i++) {
      clock.advance(15_000);
      blocked();
      await settle(sink, rec);
    }
    expect(sink.received).toHaveLength(1);
    expect(sink.series.map((x) => x.count)).toEqual([2]);
    expect(sink.series[0]?.name).toBe(sink.received[0]?.name);
    // Quiet for longer than a series lasts: the count it reached is written, and the next one is new.
    clock.advance(2 * SERIES_FINISH_MS);
    await settle(sink, rec);
    expect(sink.series.map((x) => x.count)).toEqual([2, 5]);
    expect(sink.series[1]?.lastObservedTime).toBe(
      new Date(clock.now() - 2 * SERIES_FINISH_MS).toISOString().replace(/Z$/, '000Z'),
    );
    blocked();
    await settle(sink, rec);
    expect(sink.received).toHaveLength(2);
    expect(writes).toEqual(['create', 'patch', 'patch', 'create']);
  });

  it('lets an object have 25 Events at once, then one per 5 minutes; other objects are not affected', async () => {
    const { metrics, sink, clock, rec } = onManualClock();
    for (let i = 0; i < SPAM_BURST + 5; i++) rec.event(hpcJob('noisy'), 'Normal', 'Test', 'Test', `n${i}`);
    rec.event(hpcJob('quiet'), 'Normal', 'Test', 'Test', 'hello');
    await settle(sink, rec);
    expect(sink.received).toHaveLength(SPAM_BURST + 1);
    expect(await counted(metrics, 'filtered')).toBe(5);
    clock.advance(SPAM_REFILL_MS);
    rec.event(hpcJob('noisy'), 'Normal', 'Test', 'Test', 'later');
    rec.event(hpcJob('noisy'), 'Normal', 'Test', 'Test', 'too soon');
    await settle(sink, rec);
    expect(sink.received.at(-1)?.note).toBe('later');
    expect(await counted(metrics, 'filtered')).toBe(6);
  });

  it('creates the Event again when its create failed', async () => {
    const sink = new HeldSink();
    const clock = new ManualClock();
    const rec = new EventRecorder(sink, { controller: 'c', instance: 'i', log, clock });
    rec.event(hpcJob('j'), 'Warning', 'Held', 'Hold', 'held');
    sink.failAll();
    await flushPromises();
    rec.event(hpcJob('j'), 'Warning', 'Held', 'Hold', 'held');
    await settle(sink, rec);
    expect(sink.received).toHaveLength(2);
    expect(sink.series).toHaveLength(0);
  });

  it('tries a write nobody answered again, after a random wait and then every 10 s, the writes behind it waiting', async () => {
    const { metrics, sink, clock, rec } = onManualClock(() => 0.5);
    rec.event(hpcJob('a'), 'Normal', 'Submitted', 'Submit', 'first');
    rec.event(hpcJob('b'), 'Normal', 'Submitted', 'Submit', 'second');
    await flushPromises();
    sink.unanswered();
    await flushPromises();
    // The first wait is random (half of 10 s here); nothing else is written meanwhile.
    expect(sink.open).toBe(0);
    clock.advance(EVENT_RETRY_MS / 2);
    await flushPromises();
    expect(sink.received.map((e) => e.note)).toEqual(['first', 'first']);
    sink.unanswered();
    await flushPromises();
    clock.advance(EVENT_RETRY_MS - 1);
    await flushPromises();
    expect(sink.open).toBe(0);
    clock.advance(1);
    await settle(sink, rec);
    expect(sink.received.map((e) => e.note)).toEqual(['first', 'first', 'first', 'second']);
    expect(await counted(metrics, 'success')).toBe(2);
    expect(await counted(metrics, 'error')).toBeUndefined();
  });

  it('gives a write nobody answers up after 12 tries, counts it failed and goes on with the next', async () => {
    const { metrics, sink, clock, rec } = onManualClock();
    rec.event(hpcJob('a'), 'Normal', 'Submitted', 'Submit', 'lost');
    rec.event(hpcJob('b'), 'Normal', 'Submitted', 'Submit', 'next');
    for (let i = 0; i < EVENT_WRITE_TRIES; i++) {
      await flushPromises();
      sink.unanswered();
      await flushPromises();
      clock.advance(EVENT_RETRY_MS);
    }
    await settle(sink, rec);
    const notes = sink.received.map((e) => e.note);
    expect(notes.filter((n) => n === 'lost')).toHaveLength(EVENT_WRITE_TRIES);
    expect(notes.at(-1)).toBe('next');
    expect(await counted(metrics, 'error')).toBe(1);
  });

  it('does not try again a write the API server refused (4xx)', async () => {
    const { metrics, sink, clock, rec } = onManualClock();
    rec.event(hpcJob('a'), 'Normal', 'Submitted', 'Submit', 'refused');
    await flushPromises();
    sink.failAll(new ApiError(403, 'namespace n is being terminated'));
    await flushPromises();
    clock.advance(EVENT_WRITE_TRIES * EVENT_RETRY_MS);
    await flushPromises();
    expect(sink.received).toHaveLength(1);
    expect(rec.backlog).toBe(0);
    expect(await counted(metrics, 'error')).toBe(1);
  });

  it('takes a create that meets AlreadyExists on a later try as written: an earlier try got through unanswered', async () => {
    const { metrics, sink, clock, rec } = onManualClock();
    rec.event(hpcJob('a'), 'Normal', 'Submitted', 'Submit', 'once');
    await flushPromises();
    sink.unanswered();
    await flushPromises();
    clock.advance(EVENT_RETRY_MS);
    await flushPromises();
    sink.failAll(new ApiError(409, 'events.events.k8s.io "a.1" already exists'));
    await flushPromises();
    expect(rec.backlog).toBe(0);
    expect(sink.received.map((e) => e.name)).toEqual([sink.received[0]?.name, sink.received[0]?.name]);
    expect(await counted(metrics, 'success')).toBe(1);
    expect(await counted(metrics, 'error')).toBeUndefined();
  });
});
