/**
 * A scripted ListWatchSource for unit tests: the test decides what each list returns and drives the open
 * watch (events, server close, errors). For whole-system runs the simulation's in-memory API server is the
 * richer fake; this one is for checking the informer's reactions one by one.
 */
import type {
  KubeObject,
  ListWatchSource,
  ObjectPage,
  WatchEventType,
  WatchHandle,
  WatchStatus,
} from '../../src/runtime/kube-api.js';

export interface OpenWatch<T> {
  resourceVersion: string;
  timeoutSeconds: number;
  aborted: boolean;
  ended: boolean;
  emit(type: WatchEventType, obj: T | WatchStatus): void;
  /** Ends the watch as the server would: without an error (timeout) or with one. */
  end(err?: unknown): void;
}

export class FakeListWatch<T extends KubeObject> implements ListWatchSource<T> {
  /** The objects every list returns (paged by `limit`), at `resourceVersion`. */
  objects: T[] = [];
  resourceVersion = '1';
  /** Errors the next lists throw, in order. */
  readonly listErrors: unknown[] = [];
  /** Errors the next watch calls fail with (through onDone, as client-node does), in order. */
  readonly watchErrors: unknown[] = [];
  readonly lists: { limit: number; continue?: string }[] = [];
  readonly watches: OpenWatch<T>[] = [];

  constructor(readonly name: string) {}

  /** The watch opened last. */
  get current(): OpenWatch<T> {
    const w = this.watches.at(-1);
    if (!w) throw new Error('no watch opened yet');
    return w;
  }

  async list(o: { limit: number; continue?: string }): Promise<ObjectPage<T>> {
    this.lists.push(o);
    if (this.listErrors.length > 0) throw this.listErrors.shift();
    const from = o.continue ? Number(o.continue) : 0;
    const to = from + o.limit;
    return {
      items: this.objects.slice(from, to).map((x) => structuredClone(x)),
      resourceVersion: this.resourceVersion,
      continue: to < this.objects.length ? String(to) : undefined,
    };
  }

  async watch(
    o: { resourceVersion: string; timeoutSeconds: number },
    onEvent: (type: WatchEventType, obj: T | WatchStatus) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    const w: OpenWatch<T> = {
      ...o,
      aborted: false,
      ended: false,
      emit: (type, obj) => {
        if (!w.ended) onEvent(type, obj);
      },
      end: (err) => {
        if (w.ended) return;
        w.ended = true;
        onDone(err);
      },
    };
    this.watches.push(w);
    if (this.watchErrors.length > 0) w.end(this.watchErrors.shift());
    return {
      abort: () => {
        w.aborted = true;
        const e = new Error('The user aborted a request.');
        e.name = 'AbortError';
        w.end(e);
      },
    };
  }
}
