/**
 * In-memory stand-ins for the Kubernetes ports a controller writes through, for unit tests: an object
 * store with resourceVersions (an ObjectWriter that answers 409 to a stale write and 404 to a gone object,
 * and drops an object being deleted once its last finalizer goes), a Recorder that keeps Events, and
 * Secrets with optional 403s.
 */
import { applyMergePatch } from './merge-patch.js';
import type { EventType, Recorder } from '../../src/runtime/event-types.js';
import {
  ApiError,
  SecretAccessError,
  type KubeObject,
  type ObjectWriter,
  type Secrets,
} from '../../src/runtime/kube-api.js';

const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

type Stored = KubeObject & { status?: unknown };

/** Objects of one kind T; writes answer with the stored object (of kind T: one store per kind). */
export class FakeObjects<T extends Stored> implements ObjectWriter {
  readonly #objects = new Map<string, Stored>();
  /** Writes done, as `verb key`. */
  readonly writes: string[] = [];
  /** The next write of this verb fails with this error (once). */
  readonly failNext = new Map<'patch-status' | 'finalizers', Error>();
  #rv = 1;

  /** Stores (or replaces) an object as the API server would, with a new resourceVersion. */
  put(obj: T): T {
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.#rv);
    this.#objects.set(keyOf(stored), stored);
    return structuredClone(stored);
  }

  get(key: string): T | undefined {
    const o = this.#objects.get(key);
    return o ? (structuredClone(o) as T) : undefined;
  }

  /** The informer-cache view the controller reads. */
  getByKey = (key: string): T | undefined => this.get(key);

  async patchStatus<U extends KubeObject>(obj: U, status: unknown): Promise<U> {
    return this.#write('patch-status', obj, (o) => {
      // A merge patch, as the API server applies it (the operator sends statusPatch(old, new)).
      o.status = applyMergePatch(o.status, status);
    });
  }

  async setFinalizers<U extends KubeObject>(obj: U, finalizers: string[]): Promise<U> {
    return this.#write('finalizers', obj, (o) => {
      o.metadata.finalizers = [...finalizers];
    });
  }

  async delete(obj: KubeObject): Promise<void> {
    this.#objects.delete(keyOf(obj));
  }

  async #write<U extends KubeObject>(
    verb: 'patch-status' | 'finalizers',
    obj: U,
    change: (o: Stored) => void,
  ): Promise<U> {
    const key = keyOf(obj);
    this.writes.push(`${verb} ${key}`);
    const injected = this.failNext.get(verb);
    if (injected) {
      this.failNext.delete(verb);
      throw injected;
    }
    const current = this.#objects.get(key);
    if (!current) throw new ApiError(404, `${key} not found`);
    if (current.metadata.resourceVersion !== obj.metadata.resourceVersion)
      throw new ApiError(409, `${key}: the object has been modified`);
    change(current);
    current.metadata.resourceVersion = String(++this.#rv);
    if (current.metadata.deletionTimestamp && (current.metadata.finalizers ?? []).length === 0)
      this.#objects.delete(key);
    return structuredClone(current) as U;
  }
}

export interface RecordedEvent {
  key: string;
  type: EventType;
  reason: string;
  action: string;
  note: string;
}

export class FakeRecorder implements Recorder {
  readonly events: RecordedEvent[] = [];

  event(obj: KubeObject, type: EventType, reason: string, action: string, note: string): void {
    this.events.push({ key: keyOf(obj), type, reason, action, note });
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}

export class FakeSecrets implements Secrets {
  /** `namespace/name` -> data. */
  readonly data = new Map<string, Record<string, string>>();
  /** `namespace/name` the operator may not read. */
  readonly forbidden = new Set<string>();
  reads = 0;

  set(namespace: string, name: string, data: Record<string, string>): this {
    this.data.set(`${namespace}/${name}`, { ...data });
    return this;
  }

  async readAll(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    this.reads++;
    if (this.forbidden.has(`${namespace}/${name}`)) throw new SecretAccessError(namespace, name);
    const d = this.data.get(`${namespace}/${name}`);
    return d ? { ...d } : undefined;
  }

  async read(namespace: string, name: string, key: string): Promise<string | undefined> {
    return (await this.readAll(namespace, name))?.[key];
  }

  async readBytes(namespace: string, name: string, key: string): Promise<Buffer | undefined> {
    const v = await this.read(namespace, name, key);
    return v === undefined ? undefined : Buffer.from(v, 'utf8');
  }
}
