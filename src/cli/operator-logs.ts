/**
 * The operator's live-logs endpoint, from the plugin: GET /logs/v1/namespaces/NS/hpcjobs/NAME (an HPCJobSet's
 * index: .../hpcjobsets/NAME?index=I) over HTTPS,
 * with the kubeconfig's own credentials (its client certificate, or its bearer token, including one an exec
 * plugin gives) and trusting the operator's CA (--operator-ca; else the system's roots). The operator checks
 * them with the API server (TokenReview, or the cluster's client CA) and asks it whether the user may get
 * hpcjobs/log (hpcjobsets/log). The body is copied to the output as it comes; the trailers say whether it was all of the log.
 */
import type * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { CliError } from './errors.js';
import type { Output } from './live.js';

export interface OperatorEndpoint {
  /** https://host:port of the operator's serving port (or a proxy in front of it). */
  url: string;
  /** PEM file of the CA that signed the operator's serving certificate. */
  caFile?: string;
  /** The name its certificate is checked against, when the URL's host is another (a port-forward). */
  serverName?: string;
}

export interface LogRequest {
  namespace: string;
  name: string;
  stream: 'stdout' | 'stderr';
  attempt?: number;
  /** An HPCJobSet's index: `name` is then the set's. */
  index?: number;
  follow: boolean;
}

export type LogAnswer =
  /** The log was copied out; `complete` false when the operator says parts are missing, and why. */
  | { ok: true; complete: boolean; note?: string }
  | { ok: false; status: number; message: string; retryAfterSeconds?: number };

export function logPathOf(r: LogRequest): string {
  const q = new URLSearchParams({ stream: r.stream, follow: String(r.follow) });
  if (r.attempt !== undefined) q.set('attempt', String(r.attempt));
  if (r.index !== undefined) q.set('index', String(r.index));
  const kind = r.index === undefined ? 'hpcjobs' : 'hpcjobsets';
  return `/logs/v1/namespaces/${encodeURIComponent(r.namespace)}/${kind}/${encodeURIComponent(r.name)}?${q}`;
}

/** The TLS and auth options of a request: the kubeconfig's credentials, the operator's CA. */
export async function requestOptions(kc: k8s.KubeConfig, ep: OperatorEndpoint): Promise<RequestOptions> {
  const u = new URL(ep.url);
  if (u.protocol !== 'https:')
    throw new CliError(`--operator-url must be https:// (credentials go with the request), not ${ep.url}`);
  // client-node fills in the user's certificate and key, or the Authorization header (tokens, exec plugins),
  // and the API server's CA and agent: only the credentials are taken from it.
  const fromKube: RequestOptions = {};
  await kc.applyToHTTPSOptions(fromKube);
  const headers: Record<string, string> = {};
  const authz = (fromKube.headers as Record<string, string> | undefined)?.Authorization;
  if (authz) headers.authorization = authz;
  let ca: Buffer | undefined;
  if (ep.caFile) {
    try {
      ca = readFileSync(ep.caFile);
    } catch (e) {
      throw new CliError(`cannot read --operator-ca ${ep.caFile}: ${(e as Error).message}`);
    }
  }
  const tls = {
    ca,
    cert: fromKube.cert,
    key: fromKube.key,
    servername: ep.serverName,
    rejectUnauthorized: true,
  };
  return {
    protocol: 'https:',
    hostname: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port || 443,
    headers,
    agent: new Agent({ ...tls, keepAlive: false }),
    ...tls,
  };
}

/**
 * One request: the body goes to `out` as it arrives. Resolves when the operator ends it (or refuses);
 * `signal` aborts it, which closes the connection, and the operator stops following for this client.
 */
export async function fetchLogs(
  kc: k8s.KubeConfig,
  ep: OperatorEndpoint,
  r: LogRequest,
  out: Output,
  signal?: AbortSignal,
): Promise<LogAnswer> {
  const base = await requestOptions(kc, ep);
  const prefix = new URL(ep.url).pathname.replace(/\/+$/, '');
  return new Promise((resolve, reject) => {
    const req = request({ ...base, method: 'GET', path: `${prefix}${logPathOf(r)}`, signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          const retry = Number(res.headers['retry-after']);
          resolve({
            ok: false,
            status,
            message: body.trim(),
            ...(retry > 0 ? { retryAfterSeconds: retry } : {}),
          });
        });
        return;
      }
      res.on('data', (c: Buffer) => out.write(c));
      res.on('end', () => {
        const note = res.trailers['hpc-log-note'];
        resolve({
          ok: true,
          complete: res.trailers['hpc-log-complete'] !== 'false',
          ...(note ? { note } : {}),
        });
      });
      res.on('error', reject);
    });
    req.on('error', (e) => reject(unreachable(ep, e)));
    req.end();
  });
}

function unreachable(ep: OperatorEndpoint, e: Error): Error {
  if (e.name === 'AbortError') return e;
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const why = e.message.split(';')[0] ?? e.message;
  if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(code))
    return new CliError(
      `cannot reach the operator at ${ep.url}: its certificate is not trusted (${why}): pass the CA of its ` +
        "serving certificate with --operator-ca, and --operator-tls-server-name when the URL's host is not in it",
    );
  return new CliError(
    `cannot reach the operator at ${ep.url}: ${why} (is --operator-url right, and a port-forward running?)`,
  );
}
