import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oid, sequence, time, tlv, unsignedInteger } from './asn1.js';
import { issueCertificate, keyIdOf, newKeyPair, splitPem } from './x509.js';

/** Now, in whole seconds (what a certificate holds): openssl verify checks the validity against its clock. */
const NOW = Math.floor(Date.now() / 1000) * 1000;
const DAY = 86_400_000;

/** A CA and a serving certificate it signed, as cert-plan.ts makes them. */
function pair() {
  const caKeys = newKeyPair();
  const ca = issueCertificate({
    commonName: 'test-ca',
    publicKey: caKeys.publicKey,
    privateKey: caKeys.privateKey,
    notBefore: NOW - 60_000,
    notAfter: NOW + 90 * DAY,
    ca: true,
  });
  const keys = newKeyPair();
  const leaf = issueCertificate({
    commonName: 'hpc-operator-webhook.ns.svc',
    publicKey: keys.publicKey,
    notBefore: NOW - 60_000,
    notAfter: NOW + 90 * DAY,
    ca: false,
    issuer: { name: 'test-ca', privateKey: caKeys.privateKey, keyId: keyIdOf(caKeys.publicKey) },
    dnsNames: ['hpc-operator-webhook.ns.svc', 'localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  return { ca, leaf, keys };
}

function openssl(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`openssl is needed for this test: ${r.error.message}`);
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('DER', () => {
  it('encodes lengths in short and long form, integers without sign trouble, and OIDs', () => {
    expect(tlv(0x04, Buffer.alloc(3)).subarray(0, 2)).toEqual(Buffer.from([0x04, 3]));
    expect(tlv(0x04, Buffer.alloc(200)).subarray(0, 3)).toEqual(Buffer.from([0x04, 0x81, 200]));
    expect(tlv(0x04, Buffer.alloc(300)).subarray(0, 4)).toEqual(Buffer.from([0x04, 0x82, 0x01, 0x2c]));
    expect(unsignedInteger(Buffer.from([0x00, 0x00, 0x80]))).toEqual(Buffer.from([0x02, 2, 0x00, 0x80]));
    expect(unsignedInteger(Buffer.from([0x7f]))).toEqual(Buffer.from([0x02, 1, 0x7f]));
    expect(oid('1.2.840.10045.4.3.2')).toEqual(Buffer.from('06082a8648ce3d040302', 'hex'));
    expect(sequence()).toEqual(Buffer.from([0x30, 0]));
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280)', () => {
    expect(time(Date.parse('2049-12-31T23:59:59Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(time(Date.parse('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
  });
});

describe('issueCertificate', () => {
  it("makes certificates Node's X509Certificate reads, with the CA flag, names and validity asked for", () => {
    const { ca, leaf, keys } = pair();
    const c = new X509Certificate(ca);
    const l = new X509Certificate(leaf);
    expect(c.ca).toBe(true);
    expect(l.ca).toBe(false);
    expect(l.subjectAltName).toBe('DNS:hpc-operator-webhook.ns.svc, DNS:localhost, IP Address:127.0.0.1');
    expect(l.validFromDate.getTime()).toBe(NOW - 60_000);
    expect(l.validToDate.getTime()).toBe(NOW + 90 * DAY);
    expect(l.checkIssued(c)).toBe(true);
    expect(l.verify(c.publicKey)).toBe(true);
    expect(l.checkPrivateKey(keys.privateKey)).toBe(true);
    expect(l.checkHost('localhost')).toBe('localhost');
    expect(l.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(l.checkHost('evil.example')).toBeUndefined();
    // Another CA did not sign it.
    expect(l.verify(new X509Certificate(pair().ca).publicKey)).toBe(false);
  });

  it('passes openssl x509 -text and a strict openssl verify for a TLS server', () => {
    const { ca, leaf } = pair();
    const dir = mkdtempSync(join(tmpdir(), 'x509-'));
    writeFileSync(join(dir, 'ca.pem'), ca);
    writeFileSync(join(dir, 'leaf.pem'), leaf);
    const text = openssl(['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-text']);
    expect(text.status).toBe(0);
    expect(text.out).toContain('Version: 3 (0x2)');
    expect(text.out).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text.out).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text.out).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
    expect(text.out).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(text.out).toContain('DNS:hpc-operator-webhook.ns.svc, DNS:localhost, IP Address:127.0.0.1');
    expect(openssl(['x509', '-in', join(dir, 'ca.pem'), '-noout', '-text']).out).toMatch(
      /CA:TRUE, pathlen:0[\s\S]*Certificate Sign, CRL Sign/,
    );
    const verify = (...extra: string[]) =>
      openssl([
        'verify',
        '-x509_strict',
        '-purpose',
        'sslserver',
        ...extra,
        '-CAfile',
        join(dir, 'ca.pem'),
        join(dir, 'leaf.pem'),
      ]);
    expect(verify('-verify_ip', '127.0.0.1').status).toBe(0);
    expect(verify('-verify_hostname', 'hpc-operator-webhook.ns.svc').status).toBe(0);
    expect(verify('-verify_hostname', 'other.ns.svc').status).not.toBe(0);
  });

  it('splits a PEM bundle into its certificates', () => {
    const a = pair();
    const b = pair();
    expect(splitPem(a.ca + b.ca).map((p) => new X509Certificate(p).fingerprint256)).toEqual([
      new X509Certificate(a.ca).fingerprint256,
      new X509Certificate(b.ca).fingerprint256,
    ]);
  });
});
