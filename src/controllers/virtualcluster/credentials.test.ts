import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Allocation } from '../../crds/virtualcluster.js';
import { credentialsFrom, jwtClaims, proxyExpiry, tokenExpiry } from './credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'hpcop-creds-'));
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
const privateKey = readFileSync(join(dir, 'key'), 'utf8');
const hostKey = readFileSync(join(dir, 'key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
const alloc: Allocation = {
  name: 'a',
  batchSystem: 'slurm',
  loginHost: 'login',
  user: 'u',
  credentials: { secretName: 'site' },
};

describe('credentialsFrom', () => {
  it('reads the key and the pinned host key from the Secret or the spec', () => {
    expect(
      credentialsFrom(alloc, { 'ssh-privatekey': privateKey, known_hosts: `login ${hostKey}` }),
    ).toMatchObject({ privateKey, hostKeys: [`login ${hostKey}`] });
    expect(
      credentialsFrom(
        { ...alloc, credentials: { secretName: 'site', hostKey } },
        { 'ssh-privatekey': privateKey },
      ),
    ).toMatchObject({ hostKeys: [hostKey] });
  });

  it('says what is missing without echoing secrets', () => {
    expect(credentialsFrom(alloc, undefined)).toMatchObject({ reason: 'SecretNotFound' });
    expect(credentialsFrom(alloc, {})).toMatchObject({ reason: 'KeyMissing' });
    const bad = credentialsFrom(alloc, { 'ssh-privatekey': 'not a key at all' });
    expect(bad).toMatchObject({ reason: 'KeyInvalid' });
    expect(JSON.stringify(bad)).not.toContain('not a key at all');
    expect(credentialsFrom(alloc, { 'ssh-privatekey': privateKey })).toMatchObject({
      reason: 'HostKeyMissing',
    });
  });

  it('watches the expiry of a GSI proxy and a token', () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=proxy',
        '-keyout',
        join(dir, 'p.key'),
        '-out',
        join(dir, 'p.pem'),
      ],
      { stdio: 'ignore' },
    );
    const pem = readFileSync(join(dir, 'p.pem'), 'utf8');
    const expiry = proxyExpiry(pem) as Date;
    expect(expiry.getTime() - Date.now()).toBeGreaterThan(86_400_000);
    expect(expiry.getTime() - Date.now()).toBeLessThan(3 * 86_400_000);
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const token = `e30.${Buffer.from(JSON.stringify({ iss: 'pool.example', exp })).toString('base64url')}.sig`;
    expect(tokenExpiry(token)?.getTime()).toBe(exp * 1000);
    expect(jwtClaims(token)?.iss).toBe('pool.example');
    const c = credentialsFrom(alloc, {
      'ssh-privatekey': privateKey,
      known_hosts: hostKey,
      'x509-proxy': pem,
      token,
    });
    expect((c as { expiresAt: Date }).expiresAt.getTime()).toBe(exp * 1000);
    // Each key with its own expiry, earliest first.
    expect((c as { expiries: { key: string; at: Date }[] }).expiries.map((e) => [e.key, e.at])).toEqual([
      ['token', new Date(exp * 1000)],
      ['x509-proxy', expiry],
    ]);
    expect(
      credentialsFrom(alloc, { 'ssh-privatekey': privateKey, known_hosts: hostKey, 'x509-proxy': 'garbage' }),
    ).toMatchObject({ reason: 'ProxyInvalid' });
  });
});
