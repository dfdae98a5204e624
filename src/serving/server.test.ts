import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { FileCertSource, ServingServer, type CertSource, type ServingCert } from './server.js';

/** A self-signed pair for 127.0.0.1 with this common name (openssl, as an admin would make one). */
function selfSigned(dir: string, cn: string): ServingCert {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'),
  ], { stdio: 'ignore' }); // prettier-ignore
  return {
    cert: readFileSync(join(dir, 'tls.crt'), 'utf8'),
    key: readFileSync(join(dir, 'tls.key'), 'utf8'),
  };
}

class SwappableCerts implements CertSource {
  #listeners: (() => void)[] = [];
  constructor(public cert: ServingCert) {}
  current(): ServingCert {
    return this.cert;
  }
  onRotate(l: () => void): void {
    this.#listeners.push(l);
  }
  rotate(next: ServingCert): void {
    this.cert = next;
    for (const l of this.#listeners) l();
  }
}

function get(port: number, path: string): Promise<{ status: number; body: string; peerCN: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false }, (res) => {
      const peerCN = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peerCN }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ServingServer', () => {
  const log = pino({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'serving-'));
  const first = selfSigned(dir, 'first');

  it('routes by the longest prefix, answers 404 elsewhere and 500 when a handler throws', async () => {
    const server = new ServingServer({ bindAddress: '127.0.0.1:0', certs: new SwappableCerts(first), log });
    server.route('/a', (_q, res) => void res.end('a'));
    server.route('/a/b', (_q, res) => void res.end('ab'));
    server.route('/boom', () => Promise.reject(new Error('boom')));
    await server.start();
    try {
      expect((await get(server.port, '/a/x')).body).toBe('a');
      expect((await get(server.port, '/a/b?q=1')).body).toBe('ab');
      expect((await get(server.port, '/nope')).status).toBe(404);
      expect((await get(server.port, '/boom')).status).toBe(500);
    } finally {
      await server.stop();
    }
  });

  it('serves a rotated certificate to new connections', async () => {
    const certs = new SwappableCerts(first);
    const server = new ServingServer({ bindAddress: '127.0.0.1:0', certs, log });
    server.route('/', (_q, res) => void res.end('ok'));
    await server.start();
    try {
      expect((await get(server.port, '/')).peerCN).toBe('first');
      certs.rotate(selfSigned(mkdtempSync(join(tmpdir(), 'serving-')), 'second'));
      expect((await get(server.port, '/')).peerCN).toBe('second');
    } finally {
      await server.stop();
    }
  });

  it('does not listen when off ("0")', async () => {
    const server = new ServingServer({ bindAddress: '0', certs: new SwappableCerts(first), log });
    await server.start();
    expect(server.port).toBe(0);
  });
});

describe('FileCertSource', () => {
  it('reads tls.crt and tls.key from a directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serving-'));
    const pair = selfSigned(dir, 'file');
    const source = new FileCertSource(dir);
    expect(source.current()).toEqual(pair);
  });

  it('fails clearly when the directory has no pair', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serving-'));
    writeFileSync(join(dir, 'tls.crt'), '');
    expect(() => new FileCertSource(dir)).toThrow(/needs tls.crt and tls.key: .*tls.key/);
  });
});
