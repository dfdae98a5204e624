/**
 * What the operator needs of the Kubernetes API, as narrow interfaces: listing and watching one resource,
 * writing status and finalizers, creating Events, reading and updating a Lease, reading Secrets. The real
 * implementations over @kubernetes/client-node live in runtime/kube/; the deterministic simulation
 * (test/sim) implements the same interfaces with an in-memory API server. Nothing else in the operator
 * talks to the API server.
 *
 * Errors keep the API server's HTTP status in `code` (client-node's ApiException does too), so one set of
 * helpers below classifies both.
 */
import type { EventType } from './event-types.js';

/** The metadata every object the runtime handles has. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

// ------------------------------------------------------------------------------------------------ errors

/** An API error with its HTTP status code (409 conflict, 404 not found, 410 gone, 403 forbidden...). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function codeOf(e: unknown): number | undefined {
  const x = e as { code?: unknown; statusCode?: unknown } | null | undefined;
  if (typeof x?.code === 'number') return x.code;
  if (typeof x?.statusCode === 'number') return x.statusCode;
  return undefined;
}

export const isConflict = (e: unknown): boolean => codeOf(e) === 409;
export const isNotFound = (e: unknown): boolean => codeOf(e) === 404;
export const isGone = (e: unknown): boolean => codeOf(e) === 410;
export const isForbidden = (e: unknown): boolean => codeOf(e) === 403;

/** One line saying what went wrong: the API server's own message when the error carries one. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const body = (e as { body?: unknown }).body;
    if (typeof body === 'string') {
      try {
        const status = JSON.parse(body) as { message?: string };
        if (status.message) return `${e.message.split('\n')[0]}: ${status.message}`;
      } catch {
        // not JSON
      }
    }
    return e.message.split('\n')[0] ?? e.message;
  }
  return String(e);
}

/** RFC 3339 with microseconds (metav1.MicroTime), as Events and Leases carry: `ms` since the epoch. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

// ------------------------------------------------------------------------------------------ list and watch

export interface ObjectPage<T> {
  items: T[];
  /** The list's resourceVersion: a watch from here misses nothing. */
  resourceVersion: string;
  /** Set when more pages follow. */
  continue?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** The object of an ERROR watch event (a metav1.Status). */
export interface WatchStatus {
  code?: number;
  message?: string;
}

export interface WatchHandle {
  /** Ends the watch; onDone is called (with an AbortError or nothing). */
  abort(): void;
}

/** One resource (kind, and optionally one namespace) as a paginated list and a resumable watch. */
export interface ListWatchSource<T extends KubeObject> {
  /** A description for logs and metrics (the plural). */
  readonly name: string;
  list(o: { limit: number; continue?: string }): Promise<ObjectPage<T>>;
  /**
   * Watches from `resourceVersion` (with bookmarks). Events arrive through onEvent; onDone is called once when
   * the watch ends: without an error when the server closed it (timeout), with one when it failed (an error
   * with code 410 when the resourceVersion is too old).
   */
  watch(
    o: { resourceVersion: string; timeoutSeconds: number },
    onEvent: (type: WatchEventType, obj: T | WatchStatus) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

// ------------------------------------------------------------------------------------------------ writes

/**
 * Writes to one resource, each with the optimistic lock of the object's resourceVersion: a write based on a
 * stale copy fails with 409 instead of losing a newer change.
 */
export interface ObjectWriter {
  /**
   * Applies a JSON merge patch (RFC 7386) to /status if the object is still at obj's resourceVersion. To
   * replace the status, pass statusPatch(obj.status, next): a key left out of a merge patch keeps its value.
   */
  patchStatus<T extends KubeObject>(obj: T, patch: unknown): Promise<T>;
  /** Sets metadata.finalizers if the object is still at obj's resourceVersion. */
  setFinalizers<T extends KubeObject>(obj: T, finalizers: string[]): Promise<T>;
  /** Deletes the object if it still has obj's uid. */
  delete(obj: KubeObject): Promise<void>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The JSON merge patch (RFC 7386) that turns `from` into `to`: keys `to` no longer has become null (left out,
 * they would keep their old value), objects are patched key by key, everything else is replaced. Undefined
 * values count as absent, as in JSON.
 */
export function mergePatchFor(from: unknown, to: unknown): Json {
  if (!isPlainObject(from) || !isPlainObject(to)) return JSON.parse(JSON.stringify(to ?? null)) as Json;
  const patch: { [k: string]: Json } = {};
  for (const k of Object.keys(from)) if (from[k] !== undefined && to[k] === undefined) patch[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    if (sameJson(from[k], v)) continue;
    patch[k] = mergePatchFor(from[k], v);
  }
  return patch;
}

/**
 * Equal as JSON values, whatever the key order (the API server hands objects back with keys in its own
 * order); an undefined value counts as absent, as in JSON. Plain data only (what status holds).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameJson(x ?? null, b[i] ?? null));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return (a ?? null) === (b ?? null);
  let n = 0;
  for (const k in a) {
    if (a[k] === undefined) continue;
    n++;
    if (!sameJson(a[k], b[k])) return false;
  }
  for (const k in b) if (b[k] !== undefined) n--;
  return n === 0;
}

/** The merge patch that replaces a status (see ObjectWriter.patchStatus). */
export function statusPatch(current: unknown, next: unknown): Json {
  return mergePatchFor(current ?? {}, next);
}

/** Adds `finalizer` if missing: the updated object, or undefined when nothing changed. */
export async function addFinalizer<T extends KubeObject>(
  writer: ObjectWriter,
  obj: T,
  finalizer: string,
): Promise<T | undefined> {
  const current = obj.metadata.finalizers ?? [];
  if (current.includes(finalizer)) return undefined;
  return writer.setFinalizers(obj, [...current, finalizer]);
}

/** Removes `finalizer` if present: the updated object, or undefined when nothing changed. */
export async function removeFinalizer<T extends KubeObject>(
  writer: ObjectWriter,
  obj: T,
  finalizer: string,
): Promise<T | undefined> {
  const current = obj.metadata.finalizers ?? [];
  if (!current.includes(finalizer)) return undefined;
  return writer.setFinalizers(
    obj,
    current.filter((f) => f !== finalizer),
  );
}

// ------------------------------------------------------------------------------------------------ events

/** An events.k8s.io/v1 Event, in the fields the operator sets. */
export interface EventRecord {
  name: string;
  namespace: string;
  /** RFC 3339 with microseconds. */
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  type: EventType;
  note: string;
  regarding: {
    apiVersion?: string;
    kind?: string;
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
  };
}

/** The count of a series of isomorphic Events (events.k8s.io/v1 `series`). */
export interface EventSeries {
  /** At least 2. */
  count: number;
  /** RFC 3339 with microseconds. */
  lastObservedTime: string;
}

export interface EventSink {
  create(event: EventRecord): Promise<void>;
  /** Sets the `series` of an Event created before (a merge patch). */
  patchSeries(namespace: string, name: string, series: EventSeries): Promise<void>;
}

// ------------------------------------------------------------------------------------------------ leases

/** A coordination.k8s.io/v1 Lease, in the fields leader election uses. */
export interface LeaseRecord {
  namespace: string;
  name: string;
  resourceVersion?: string;
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** RFC 3339 with microseconds. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
}

export interface LeaseStore {
  /** The Lease, or undefined when it does not exist. */
  get(namespace: string, name: string, signal?: AbortSignal): Promise<LeaseRecord | undefined>;
  /** Creates it; 409 when it exists already. */
  create(lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord>;
  /** Replaces it if still at lease.resourceVersion; 409 otherwise. */
  update(lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord>;
}

// ------------------------------------------------------------------------------------------------ secrets

/**
 * Reads Secrets on demand (no cache: RBAC can scope `get` to what the resources reference). Values are
 * returned, never logged. A Secret the operator may not read throws SecretAccessError.
 */
export interface Secrets {
  /** All keys, decoded; undefined when the Secret does not exist. */
  readAll(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** One key, decoded; undefined when the Secret or the key does not exist. */
  read(namespace: string, name: string, key: string): Promise<string | undefined>;
  /** One key as bytes (a signing key is binary); undefined when the Secret or the key does not exist. */
  readBytes(namespace: string, name: string, key: string): Promise<Buffer | undefined>;
}

/**
 * The operator may not read a Secret (403): its ServiceAccount is not bound to the secret-reader ClusterRole
 * in that namespace. A configuration problem the resource reports in a condition, not a crash.
 */
export class SecretAccessError extends Error {
  constructor(
    readonly namespace: string,
    readonly secretName: string,
  ) {
    super(
      `the operator may not read Secret ${namespace}/${secretName}: bind the ClusterRole hpc-operator-secret-reader to its ServiceAccount in namespace ${namespace} (docs/install.md)`,
    );
    this.name = 'SecretAccessError';
  }
}

// ------------------------------------------------------------------------------------ serving certificate

/** A Secret the operator writes itself (its serving certificate), decoded, with the version it was read at. */
export interface OwnSecret {
  namespace: string;
  name: string;
  resourceVersion?: string;
  data: Record<string, string>;
}

/** The operator's own Secrets: read, created, and replaced under the optimistic lock of their resourceVersion. */
export interface OwnSecrets {
  /** The Secret, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<OwnSecret | undefined>;
  /** Creates it; 409 when it exists already. */
  create(secret: OwnSecret): Promise<OwnSecret>;
  /** Replaces its data if still at secret.resourceVersion; 409 otherwise. */
  update(secret: OwnSecret): Promise<OwnSecret>;
}

/** The caBundle of the operator's ValidatingWebhookConfiguration, found by name. */
export interface WebhookConfigurations {
  /** The caBundle (PEM) of each of its webhooks; undefined when the configuration does not exist. */
  caBundles(name: string): Promise<string[] | undefined>;
  /** Sets the caBundle of every webhook in it (404 when it does not exist). */
  setCaBundle(name: string, pem: string): Promise<void>;
}
