/**
 * The watch side of one resource in the API server model: a bounded window of change events (older ones are
 * compacted away, so a watch from before the window gets 410 Gone), open watches that receive events in
 * order after a small delay, bookmarks, server-side timeouts, and drops.
 */
import type { KubeObject, WatchEventType, WatchStatus } from '../../../src/runtime/kube-api.js';
import { ApiError } from '../../../src/runtime/kube-api.js';
import type { Scheduler } from '../scheduler.js';

export interface ChangeEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  obj: KubeObject;
}

type Delivery =
  { kind: 'event'; type: WatchEventType; obj: KubeObject | WatchStatus } | { kind: 'done'; err?: unknown };

export interface Watcher {
  readonly owner: string;
  readonly onEvent: (type: WatchEventType, obj: KubeObject | WatchStatus) => void;
  readonly onDone: (err?: unknown) => void;
  queue: Delivery[];
  flushing: boolean;
  closed: boolean;
}

export class WatchHub {
  #log: ChangeEvent[] = [];
  /** Events at or below this resourceVersion were compacted away. */
  compactedRv = 0;
  readonly watchers = new Set<Watcher>();
  /** Watches refused with 410 Gone. */
  gone = 0;

  constructor(
    readonly sched: Scheduler,
    readonly isAlive: (owner: string) => boolean,
    /** Events kept; a watch from before them gets 410. */
    public window: number,
    /** Delay of event delivery (ms), drawn per flush. */
    readonly delay: () => number,
    /** How a 410 reaches the watcher: an in-stream ERROR event then a normal end (what the real server does), or an error. */
    readonly goneInStream: () => boolean = () => true,
  ) {}

  record(ev: ChangeEvent): void {
    this.#log.push(ev);
    this.trim();
    for (const w of this.watchers)
      this.#enqueue(w, { kind: 'event', type: ev.type, obj: structuredClone(ev.obj) });
  }

  /** Compacts what is beyond the window. */
  trim(): void {
    while (this.#log.length > this.window) this.compactedRv = (this.#log.shift() as ChangeEvent).rv;
  }

  /** Opens a watch from `rv`: replays what followed it, or ends at once with 410 when that was compacted. */
  open(w: Watcher, rv: number, timeoutMs: number): void {
    if (rv < this.compactedRv) {
      this.gone++;
      const message = `too old resource version: ${rv} (${this.compactedRv})`;
      if (this.goneInStream()) {
        const status: WatchStatus = { code: 410, message };
        this.#enqueue(w, { kind: 'event', type: 'ERROR', obj: status });
        this.#enqueue(w, { kind: 'done' });
      } else this.#enqueue(w, { kind: 'done', err: new ApiError(410, message) });
      return;
    }
    this.watchers.add(w);
    for (const ev of this.#log)
      if (ev.rv > rv) this.#enqueue(w, { kind: 'event', type: ev.type, obj: structuredClone(ev.obj) });
    this.sched.schedule(timeoutMs, () => this.close(w));
  }

  /** Ends a watch normally (server timeout) or with an error, after what was already queued. */
  close(w: Watcher, err?: unknown): void {
    if (w.closed || !this.watchers.has(w)) return;
    this.watchers.delete(w);
    this.#enqueue(w, { kind: 'done', err });
  }

  /** The connection broke: queued events are lost, the watcher hears of the error. */
  drop(w: Watcher, err: unknown): void {
    if (w.closed) return;
    this.watchers.delete(w);
    w.queue = [];
    this.#enqueue(w, { kind: 'done', err });
  }

  dropAll(err: () => unknown): number {
    const n = this.watchers.size;
    for (const w of [...this.watchers]) this.drop(w, err());
    return n;
  }

  /** A crashed replica's watches vanish without a word. */
  forget(owner: string): void {
    for (const w of [...this.watchers]) {
      if (w.owner !== owner) continue;
      w.closed = true;
      this.watchers.delete(w);
    }
  }

  bookmark(rv: number, apiVersion: string | undefined, kind: string | undefined): void {
    // A BOOKMARK carries an object of the watched kind with only metadata.resourceVersion set.
    const obj: KubeObject = { apiVersion, kind, metadata: { name: '', resourceVersion: String(rv) } };
    for (const w of this.watchers) this.#enqueue(w, { kind: 'event', type: 'BOOKMARK', obj });
  }

  #enqueue(w: Watcher, d: Delivery): void {
    w.queue.push(d);
    if (w.flushing) return;
    w.flushing = true;
    this.sched.schedule(this.delay(), () => this.#flush(w));
  }

  #flush(w: Watcher): void {
    w.flushing = false;
    const batch = w.queue;
    w.queue = [];
    for (const d of batch) {
      if (w.closed || !this.isAlive(w.owner)) return;
      if (d.kind === 'event') w.onEvent(d.type, d.obj);
      else {
        w.closed = true;
        w.onDone(d.err);
      }
    }
  }
}
