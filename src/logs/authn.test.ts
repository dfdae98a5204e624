/**
 * Client certificates as the API server's x509 authenticator takes them, with certificates made by openssl
 * the way a cluster's CA makes them: signed by the client CA (directly or through an intermediate the client
 * sends), valid now, for client authentication; CN is the user and every O a group.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearerToken, userFromCertificate, type PeerCert } from './authn.js';

const dir = mkdtempSync(join(tmpdir(), 'authn-'));
const path = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function ca(name: string, signer?: string): void {
  if (!signer) {
    openssl('req', '-x509', ...EC, '-days', '2', '-subj', `/CN=${name}`, '-keyout', path(`${name}.key`), '-out', path(`${name}.crt`));
    return;
  }
  writeFileSync(path(`${name}.ext`), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
  openssl('req', ...EC, '-subj', `/CN=${name}`, '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`));
  openssl('x509', '-req', '-in', path(`${name}.csr`), '-CA', path(`${signer}.crt`), '-CAkey', path(`${signer}.key`), '-CAcreateserial', '-days', '2', '-extfile', path(`${name}.ext`), '-out', path(`${name}.crt`));
} // prettier-ignore

function leaf(name: string, subj: string, signer: string, eku = 'clientAuth'): Buffer {
  writeFileSync(path(`${name}.ext`), `extendedKeyUsage=${eku}\n`);
  openssl('req', ...EC, '-subj', subj, '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`));
  openssl('x509', '-req', '-in', path(`${name}.csr`), '-CA', path(`${signer}.crt`), '-CAkey', path(`${signer}.key`), '-CAcreateserial', '-days', '1', '-extfile', path(`${name}.ext`), '-out', path(`${name}.crt`));
  return der(name);
} // prettier-ignore

function der(name: string): Buffer {
  const pem = readFileSync(path(`${name}.crt`), 'utf8');
  return Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
}

const pem = (name: string) => readFileSync(path(`${name}.crt`), 'utf8');

beforeAll(() => {
  ca('cluster-ca');
  ca('other-ca');
  ca('intermediate', 'cluster-ca');
});

const now = () => new Date();

describe('userFromCertificate', () => {
  it('takes a certificate the client CA signed: CN is the user, every O a group', () => {
    const raw = leaf('alice', '/CN=alice/O=team-a/O=physicists', 'cluster-ca');
    const peer: PeerCert = { raw, subject: { CN: 'alice', O: ['team-a', 'physicists'] } };
    const bundle = pem('other-ca') + pem('cluster-ca');
    expect(userFromCertificate(peer, bundle, now())).toEqual({
      user: { username: 'alice', groups: ['team-a', 'physicists'] },
    });
  });

  it('follows an intermediate the client sent', () => {
    const raw = leaf('bob', '/CN=bob', 'intermediate');
    const peer: PeerCert = { raw, subject: { CN: 'bob' }, issuerCertificate: { raw: der('intermediate') } };
    expect(userFromCertificate(peer, pem('cluster-ca'), now())).toEqual({
      user: { username: 'bob', groups: [] },
    });
    // Without it, the chain does not reach the CA.
    expect(userFromCertificate({ raw, subject: { CN: 'bob' } }, pem('cluster-ca'), now())).toEqual({
      error: "the client certificate is not signed by the cluster's client CA",
    });
  });

  it('refuses another CA, an expired certificate, a server certificate and a cluster without a client CA', () => {
    const mallory: PeerCert = {
      raw: leaf('mallory', '/CN=admin/O=system:masters', 'other-ca'),
      subject: { CN: 'admin' },
    };
    expect(userFromCertificate(mallory, pem('cluster-ca'), now())).toEqual({
      error: "the client certificate is not signed by the cluster's client CA",
    });
    const alice: PeerCert = { raw: der('alice'), subject: { CN: 'alice' } };
    expect(userFromCertificate(alice, pem('cluster-ca'), new Date(Date.now() + 3 * 86_400_000))).toEqual({
      error: 'the client certificate has expired or is not valid yet',
    });
    const server: PeerCert = {
      raw: leaf('server', '/CN=carol', 'cluster-ca', 'serverAuth'),
      subject: { CN: 'carol' },
    };
    expect(userFromCertificate(server, pem('cluster-ca'), now())).toEqual({
      error: 'the client certificate is not for client authentication',
    });
    expect(userFromCertificate(alice, '', now())).toEqual({
      error: 'the cluster has no client CA to check certificates against',
    });
    expect(userFromCertificate({}, pem('cluster-ca'), now())).toEqual({ error: 'no client certificate' });
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer header and nothing else', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic YWxpY2U6cHc=')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
