/**
 * The plugin's side of the live-logs endpoint against an HTTPS server on loopback (openssl certificates): the
 * kubeconfig's token or client certificate goes with the request, the operator's CA is the one trusted, the
 * body is copied as it comes and the trailers read.
 */
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fetchLogs, logPathOf } from './operator-logs.js';

const dir = mkdtempSync(join(tmpdir(), 'operator-logs-'));
const at = (n: string) => join(dir, n);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
function makeCerts(): void {
  openssl('req', '-x509', ...EC, '-days', '1', '-subj', '/CN=operator-ca', '-keyout', at('ca.key'), '-out', at('ca.crt'));
  writeFileSync(at('srv.ext'), 'subjectAltName=DNS:hpc-operator-webhook.hpc-operator-system.svc,DNS:localhost\n');
  openssl('req', ...EC, '-subj', '/CN=operator', '-keyout', at('srv.key'), '-out', at('srv.csr'));
  openssl('x509', '-req', '-in', at('srv.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', at('srv.ext'), '-out', at('srv.crt'));
  openssl('req', '-x509', ...EC, '-days', '1', '-subj', '/CN=alice/O=team-a', '-keyout', at('client.key'), '-out', at('client.crt'));
} // prettier-ignore
makeCerts();

interface Seen {
  authorization?: string;
  cn?: string;
  url?: string;
}

let server: Server;
let port = 0;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer(
    { cert: readFileSync(at('srv.crt')), key: readFileSync(at('srv.key')), requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push({ authorization: req.headers.authorization, cn: String(peer.subject?.CN ?? ''), url: req.url });
      if (req.url?.includes('busy')) {
        res.writeHead(429, { 'retry-after': '10' }).end('2 of 2 log followers of schedd s are in use\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'Hpc-Log-Complete, Hpc-Log-Note' });
      res.write('line 1\n');
      res.addTrailers({ 'Hpc-Log-Complete': 'false', 'Hpc-Log-Note': 'joined late' });
      res.end('line 2\n');
    },
  ); // prettier-ignore
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function kubeconfig(user: k8s.User): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://api.invalid:6443', skipTLSVerify: true }],
    users: [user],
    contexts: [{ name: 'x', cluster: 'c', user: user.name }],
    currentContext: 'x',
  });
  return kc;
}

const sink = () => {
  const chunks: string[] = [];
  return { chunks, write: (c: string | Uint8Array) => chunks.push(Buffer.from(c).toString()) };
};
const ep = (over: object = {}) => ({
  url: `https://127.0.0.1:${port}`,
  caFile: at('ca.crt'),
  serverName: 'localhost',
  ...over,
});
const r = { namespace: 'ns', name: 'fit', stream: 'stdout' as const, follow: true };

describe('fetchLogs', () => {
  it("sends the kubeconfig's token, trusts only the operator's CA, copies the body and reads the trailers", async () => {
    const out = sink();
    const got = await fetchLogs(kubeconfig({ name: 'u', token: 'tok-123' }), ep(), r, out);
    expect(got).toEqual({ ok: true, complete: false, note: 'joined late' });
    expect(out.chunks.join('')).toBe('line 1\nline 2\n');
    expect(seen.at(-1)).toEqual({
      authorization: 'Bearer tok-123',
      cn: '',
      url: '/logs/v1/namespaces/ns/hpcjobs/fit?stream=stdout&follow=true',
    });
  });

  it("presents the kubeconfig's client certificate", async () => {
    const user = { name: 'u', certFile: at('client.crt'), keyFile: at('client.key') };
    await fetchLogs(kubeconfig(user), ep(), r, sink());
    expect(seen.at(-1)?.cn).toBe('alice');
    expect(seen.at(-1)?.authorization).toBeUndefined();
  });

  it('returns a refusal with its message and when to ask again', async () => {
    const got = await fetchLogs(kubeconfig({ name: 'u', token: 't' }), ep(), { ...r, name: 'busy' }, sink());
    expect(got).toEqual({
      ok: false,
      status: 429,
      message: '2 of 2 log followers of schedd s are in use',
      retryAfterSeconds: 10,
    });
  });

  it('refuses a certificate it cannot trust or a name it is not for, and plain http', async () => {
    const kc = kubeconfig({ name: 'u', token: 't' });
    await expect(fetchLogs(kc, ep({ caFile: undefined }), r, sink())).rejects.toThrow(
      /its certificate is not trusted \(.*\): pass the CA of its serving certificate with --operator-ca/,
    );
    await expect(fetchLogs(kc, ep({ serverName: undefined }), r, sink())).rejects.toThrow(
      /cannot reach the operator/,
    );
    await expect(fetchLogs(kc, ep({ url: `http://127.0.0.1:${port}` }), r, sink())).rejects.toThrow(
      /--operator-url must be https:\/\//,
    );
  });

  it('puts the attempt in the query when one is asked for', () => {
    expect(logPathOf({ ...r, stream: 'stderr', attempt: 2, follow: false })).toBe(
      '/logs/v1/namespaces/ns/hpcjobs/fit?stream=stderr&follow=false&attempt=2',
    );
  });

  it("addresses an HPCJobSet's index under hpcjobsets, with the index in the query", () => {
    expect(logPathOf({ ...r, name: 'sweep', index: 0, follow: true })).toBe(
      '/logs/v1/namespaces/ns/hpcjobsets/sweep?stream=stdout&follow=true&index=0',
    );
  });
});
