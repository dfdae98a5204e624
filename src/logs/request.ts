/**
 * The live-logs route's address and query (pure):
 *   GET /logs/v1/namespaces/{namespace}/hpcjobs/{name}?stream=stdout|stderr&attempt=N&follow=true|false
 * Names are checked against Kubernetes' own grammar before anything else sees them.
 */

export const LOGS_PREFIX = '/logs/v1/';

export interface LogQuery {
  namespace: string;
  name: string;
  stream: 'stdout' | 'stderr';
  /** Undefined: the HPCJob's current (or last) attempt. */
  attempt?: number;
  follow: boolean;
}

export type Parsed = { query: LogQuery } | { status: 400 | 404 | 405; message: string };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PATH = /^\/logs\/v1\/namespaces\/([^/]+)\/hpcjobs\/([^/]+)\/?$/;

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
  if (!m) return { status: 404, message: `no such path: use ${LOGS_PREFIX}namespaces/NS/hpcjobs/NAME` };
  const namespace = decoded(m[1] as string);
  const name = decoded(m[2] as string);
  if (namespace.length > 63 || !DNS_LABEL.test(namespace))
    return { status: 400, message: `${JSON.stringify(namespace)} is not a namespace name` };
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    return { status: 400, message: `${JSON.stringify(name)} is not an HPCJob name` };
  const p = u.searchParams;
  const stream = p.get('stream') ?? 'stdout';
  if (stream !== 'stdout' && stream !== 'stderr')
    return { status: 400, message: `stream must be stdout or stderr, got ${JSON.stringify(stream)}` };
  const follow = bool('follow', p.get('follow'), false);
  if (typeof follow === 'string') return { status: 400, message: follow };
  const raw = p.get('attempt');
  let attempt: number | undefined;
  if (raw !== null && raw !== '') {
    attempt = Number(raw);
    if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(attempt) || attempt < 1)
      return { status: 400, message: `attempt must be a positive integer, got ${JSON.stringify(raw)}` };
  }
  return { query: { namespace, name, stream, follow, ...(attempt !== undefined ? { attempt } : {}) } };
}
