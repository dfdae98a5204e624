/**
 * The Kubernetes ports of one replica over the API server model: ListWatchSource per resource (paginated
 * list from a snapshot, resumable watch), ObjectWriter, EventSink, LeaseStore and Secrets. Each call goes
 * through the network (net.ts): it is planned under the current faults, served later in virtual time, and
 * subject to the replica's crash points.
 */
import {
  ApiError,
  type EventSink,
  type KubeObject,
  type LeaseStore,
  type ListWatchSource,
  type ObjectPage,
  type ObjectWriter,
  type Secrets,
  type WatchHandle,
} from '../../../src/runtime/kube-api.js';
import type { Caller } from '../net.js';
import type { ApiServer } from './api-server.js';
import { keyOf, type ResourceKind } from './store.js';
import type { Watcher } from './watch-hub.js';

/** A continue token stays valid this long (then 410, as the real server's expired tokens). */
const CONTINUE_TTL_MS = 60_000;

interface Snapshot {
  items: KubeObject[];
  rv: string;
  at: number;
}

/** Pages of one list: the first page takes a snapshot; continue tokens page through it until they expire. */
class Pager {
  readonly #snapshots = new Map<string, Snapshot>();
  #nextToken = 0;

  constructor(
    readonly api: ApiServer,
    readonly kind: ResourceKind,
  ) {}

  page<T extends KubeObject>(o: { limit: number; continue?: string }): ObjectPage<T> {
    const now = this.api.sched.now();
    let snap: Snapshot | undefined;
    let offset = 0;
    if (o.continue) {
      const [id, off] = o.continue.split(':');
      snap = this.#snapshots.get(id ?? '');
      if (!snap || now - snap.at > CONTINUE_TTL_MS)
        throw new ApiError(410, 'the provided continue parameter is too old');
      offset = Number(off);
    } else {
      const items = this.api.store.list(this.kind).map((x) => structuredClone(x));
      snap = { items, rv: String(this.api.store.rv), at: now };
    }
    // The store holds objects of this resource only: the source's T.
    const page: ObjectPage<T> = {
      items: snap.items.slice(offset, offset + o.limit) as T[],
      resourceVersion: snap.rv,
    };
    if (offset + o.limit < snap.items.length) {
      const id = o.continue?.split(':')[0] ?? String(this.#nextToken++);
      this.#snapshots.set(id, snap);
      page.continue = `${id}:${offset + o.limit}`;
    }
    return page;
  }
}

export function listWatchSource<T extends KubeObject>(
  api: ApiServer,
  who: Caller,
  kind: ResourceKind,
): ListWatchSource<T> {
  const pager = new Pager(api, kind);
  const port = `kube.${kind}`;
  return {
    name: kind,
    list(o) {
      const text = `list limit=${o.limit}${o.continue ? ' continue' : ''}`;
      return api.net.call(who, { port, text }, () => api.faults.plan(false, () => pager.page<T>(o)));
    },
    watch(o, onEvent, onDone) {
      const rv = Number(o.resourceVersion);
      return api.net.call(who, { port, text: `watch from rv=${o.resourceVersion}` }, () =>
        api.faults.plan(false, (): WatchHandle => {
          if (!Number.isInteger(rv) || rv < 0)
            throw new ApiError(400, `invalid resourceVersion "${o.resourceVersion}"`);
          const hub = api.store.hubs[kind];
          const w: Watcher = {
            owner: who.name,
            // The hub hands out objects of this resource only: the source's T.
            onEvent: (type, obj) => onEvent(type, obj as T),
            onDone,
            queue: [],
            flushing: false,
            closed: false,
          };
          hub.open(w, rv, o.timeoutSeconds * 1000);
          return { abort: () => hub.close(w, abortError()) };
        }),
      );
    },
  };
}

export function objectWriter(api: ApiServer, who: Caller, kind: ResourceKind): ObjectWriter {
  const port = `kube.${kind}`;
  const ref = (obj: KubeObject) => ({
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
  });
  const label = (obj: KubeObject) =>
    `${keyOf(obj.metadata.namespace, obj.metadata.name)} rv=${obj.metadata.resourceVersion}`;
  return {
    patchStatus<T extends KubeObject>(obj: T, status: unknown) {
      return api.net.call(who, { port, text: `patchStatus ${label(obj)} ${statusText(status)}` }, () =>
        // The stored object is the caller's kind: T.
        api.faults.plan(true, () => api.store.patchStatus(kind, ref(obj), status, who.name) as T),
      );
    },
    setFinalizers<T extends KubeObject>(obj: T, finalizers: string[]) {
      return api.net.call(who, { port, text: `setFinalizers ${label(obj)} [${finalizers.join(',')}]` }, () =>
        api.faults.plan(true, () => api.store.setFinalizers(kind, ref(obj), finalizers, who.name) as T),
      );
    },
    delete(obj) {
      return api.net.call(who, { port, text: `delete ${label(obj)}` }, () =>
        api.faults.plan(true, () =>
          api.store.delete(kind, { ...ref(obj), resourceVersion: undefined }, who.name),
        ),
      );
    },
  };
}

export function eventSink(api: ApiServer, who: Caller): EventSink {
  return {
    create(e) {
      return api.net.call(
        who,
        { port: 'kube.events', text: `${e.type} ${e.reason} ${e.regarding.namespace}/${e.regarding.name}` },
        () => api.faults.plan(true, () => api.events.create(e)),
      );
    },
    patchSeries(namespace, name, series) {
      return api.net.call(
        who,
        { port: 'kube.events', text: `series ${namespace}/${name} count=${series.count}` },
        () => api.faults.plan(true, () => api.events.patchSeries(namespace, name, series)),
      );
    },
  };
}

export function leaseStore(api: ApiServer, who: Caller): LeaseStore {
  const port = 'kube.leases';
  return {
    get(ns, name, signal) {
      return api.net.call(
        who,
        { port, text: `get ${ns}/${name}` },
        () => api.faults.plan(false, () => api.leases.get(ns, name)),
        signal,
      );
    },
    create(lease, signal) {
      const text = `create holder=${lease.holderIdentity}`;
      return api.net.call(
        who,
        { port, text },
        () => api.faults.plan(true, () => api.leases.create(lease)),
        signal,
      );
    },
    update(lease, signal) {
      const text = `update holder=${lease.holderIdentity} renew=${lease.renewTime ?? '-'} rv=${lease.resourceVersion}`;
      return api.net.call(
        who,
        { port, text },
        () => api.faults.plan(true, () => api.leases.update(lease)),
        signal,
      );
    },
  };
}

export function secrets(api: ApiServer, who: Caller): Secrets {
  const port = 'kube.secrets';
  return {
    readAll(ns, name) {
      return api.net.call(who, { port, text: `read ${ns}/${name}`, secret: true }, () =>
        api.faults.plan(false, () => api.secrets.readAll(ns, name)),
      );
    },
    read(ns, name, key) {
      return api.net.call(who, { port, text: `read ${ns}/${name}[${key}]`, secret: true }, () =>
        api.faults.plan(false, () => api.secrets.readAll(ns, name)?.[key]),
      );
    },
    readBytes(ns, name, key) {
      return api.net.call(who, { port, text: `read ${ns}/${name}[${key}]`, secret: true }, () =>
        api.faults.plan(false, () => {
          const v = api.secrets.readAll(ns, name)?.[key];
          return v === undefined ? undefined : Buffer.from(v, 'utf8');
        }),
      );
    },
  };
}

function abortError(): Error {
  const e = new Error('watch aborted');
  e.name = 'AbortError';
  return e;
}

function statusText(status: unknown): string {
  const s = status as { phase?: unknown; attempt?: unknown; counts?: unknown } | null;
  // An HPCJobSet's status: its counts per state instead of an attempt.
  if (s?.counts) return `phase=${String(s.phase ?? '-')} counts=${JSON.stringify(s.counts)}`;
  return `phase=${String(s?.phase ?? '-')} attempt=${String(s?.attempt ?? '-')}`;
}
