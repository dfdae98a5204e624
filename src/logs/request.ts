/**
 * The live-logs route's address and query (pure):
 *   GET /logs/v1/namespaces/{namespace}/hpcjobs/{name}?stream=stdout|stderr&attempt=N&follow=true|false
 *   GET /logs/v1/namespaces/{namespace}/hpcjobsets/{name}?index=I&stream=stdout|stderr&follow=true|false
 * Names are checked against Kubernetes' own grammar before anything else sees them. A set's index is
 * required; `attempt` is not taken for a set (it keeps the output of each index's last ended attempt).
 */
import type { HPCJOB_PLURAL } from '../crds/hpcjob.js';
import { HPCJOBSET_PLURAL } from '../crds/hpcjobset-constants.js';

export const LOGS_PREFIX = '/logs/v1/';

/** The kinds whose logs the route serves, by their plural (the resource of the access check). */
export type LogResource = typeof HPCJOB_PLURAL | typeof HPCJOBSET_PLURAL;

export interface LogQuery {
  resource: LogResource;
  namespace: string;
  name: string;
  /** An HPCJobSet's index (required for hpcjobsets, absent for hpcjobs). */
  index?: number;
  stream: 'stdout' | 'stderr';
  /** Undefined: the HPCJob's current (or last) attempt. */
  attempt?: number;
  follow: boolean;
}

export type Parsed = { query: LogQuery } | { status: 400 | 404 | 405; message: string };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PATH = /^\/logs\/v1\/namespaces\/([^/]+)\/(hpcjobs|hpcjobsets)\/([^/]+)\/?$/;
const KIND_NAME: Record<LogResource, string> = { hpcjobs: 'an HPCJob', hpcjobsets: 'an HPCJobSet' };

function bool(name: string, v: string | null, dflt: boolean): boolean | string {
  if (v === null || v === '') return dflt;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return `${name} must be true or false, got ${JSON.stringify(v)}`;
}

/** A path segment without its %-escapes; '' (refused as a name) when they are malformed. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

export function parseLogRequest(method: string | undefined, url: string | undefined): Parsed {
  if (method !== 'GET') return { status: 405, message: `method ${method ?? ''} not allowed: use GET` };
  const u = new URL(url ?? '/', 'https://operator.invalid');
  const m = PATH.exec(u.pathname);
  if (!m)
    return {
      status: 404,
      message: `no such path: use ${LOGS_PREFIX}namespaces/NS/hpcjobs/NAME or .../hpcjobsets/NAME?index=I`,
    };
  const resource = m[2] as LogResource;
  const namespace = decoded(m[1] as string);
  const name = decoded(m[3] as string);
  if (namespace.length > 63 || !DNS_LABEL.test(namespace))
    return { status: 400, message: `${JSON.stringify(namespace)} is not a namespace name` };
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    return { status: 400, message: `${JSON.stringify(name)} is not ${KIND_NAME[resource]} name` };
  const p = u.searchParams;
  const stream = p.get('stream') ?? 'stdout';
  if (stream !== 'stdout' && stream !== 'stderr')
    return { status: 400, message: `stream must be stdout or stderr, got ${JSON.stringify(stream)}` };
  const follow = bool('follow', p.get('follow'), false);
  if (typeof follow === 'string') return { status: 400, message: follow };
  const which = resource === HPCJOBSET_PLURAL ? setIndex(p) : attemptOf(p);
  if ('status' in which) return which;
  return { query: { resource, namespace, name, stream, follow, ...which } };
}

/** A non-negative (index) or positive (attempt) integer parameter; undefined when not given. */
function count(
  p: URLSearchParams,
  key: string,
  min: 0 | 1,
): number | undefined | { status: 400; message: string } {
  const raw = p.get(key);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(n) || n < min)
    return {
      status: 400,
      message: `${key} must be a ${min === 0 ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(raw)}`,
    };
  return n;
}

function attemptOf(p: URLSearchParams): { attempt?: number } | { status: 400; message: string } {
  const attempt = count(p, 'attempt', 1);
  if (typeof attempt === 'object') return attempt;
  return attempt === undefined ? {} : { attempt };
}

function setIndex(p: URLSearchParams): { index: number } | { status: 400; message: string } {
  if (p.has('attempt'))
    return {
      status: 400,
      message:
        "attempt is not taken for an HPCJobSet: it keeps the output of each index's last ended attempt",
    };
  const index = count(p, 'index', 0);
  if (typeof index === 'object') return index;
  if (index === undefined) return { status: 400, message: 'an HPCJobSet log needs index=I (from 0)' };
  return { index };
}
