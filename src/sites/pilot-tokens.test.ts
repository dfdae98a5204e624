/**
 * The per-pilot token commands, run by a real sh in a scratch directory standing in for the site's allocation
 * directory: a stored token is private and whole, the listing sends back claims only, retain removes the
 * tokens of pilots not kept (and stray partial writes), and names that could escape are refused.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeIdToken } from '../../test/support/builders/vc-observation.js';
import { parseTokenListing, pilotTokenDir, storedTokenOf, tokenCommand } from './pilot-tokens.js';

const sh = (command: string, input?: string) =>
  execFileSync('sh', ['-c', command], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

function siteDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'hpcop-tokens-')), "it's here");
}

const TOKEN = makeIdToken({
  iss: 'pool.example',
  sub: 'pilot@pool.example',
  iat: 1_800_000_000,
  exp: 1_800_004_200,
});

describe('tokenCommand', () => {
  it('stores a token in the pilot’s own private directory, whole (no partial file left)', () => {
    const dir = siteDir();
    sh(tokenCommand.store(dir, 'hpabc-0'), TOKEN);
    const file = join(dir, 'tokens', 'hpabc-0', 'token');
    expect(readFileSync(file, 'utf8')).toBe(TOKEN);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'tokens', 'hpabc-0')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(dir, 'tokens'))).toEqual(['hpabc-0']);
    // A renewal replaces it.
    sh(tokenCommand.store(dir, 'hpabc-0'), `${TOKEN}x`);
    expect(readFileSync(file, 'utf8')).toBe(`${TOKEN}x`);
  });

  it('lists each pilot with its token’s claims only, never the signature', () => {
    const dir = siteDir();
    sh(tokenCommand.store(dir, 'hpabc-0'), TOKEN);
    sh(tokenCommand.store(dir, 'hpabc-1'), 'garbage');
    const out = sh(tokenCommand.list(dir));
    expect(out).not.toContain(TOKEN.split('.')[2]);
    expect(parseTokenListing(out)).toEqual(
      new Map([
        ['hpabc-0', { issuedAt: 1_800_000_000_000, expiresAt: 1_800_004_200_000 }],
        ['hpabc-1', { issuedAt: 0, expiresAt: 0 }],
      ]),
    );
  });

  it('lists nothing where no token was ever stored', () => {
    expect(sh(tokenCommand.list(siteDir()))).toBe('');
  });

  it('retains only the kept pilots’ tokens and removes stray partial writes', () => {
    const dir = siteDir();
    for (const p of ['hpabc-0', 'hpabc-1', 'hpabc-2']) sh(tokenCommand.store(dir, p), TOKEN);
    writeFileSync(join(dir, 'tokens', '.hpabc-3.part'), 'half');
    sh(tokenCommand.retain(dir, ['hpabc-1']));
    expect(readdirSync(join(dir, 'tokens'))).toEqual(['hpabc-1']);
    sh(tokenCommand.retain(dir, []));
    expect(readdirSync(join(dir, 'tokens'))).toEqual([]);
    // Nothing to do where there is no token directory.
    expect(() => sh(tokenCommand.retain(siteDir(), []))).not.toThrow();
  });

  it('refuses pilot names that are not plain file names', () => {
    for (const bad of ['../x', 'a b', '$(id)', '', '.hidden', 'a/b'])
      expect(() => tokenCommand.store('/d', bad)).toThrow('cannot name a token directory');
    expect(() => tokenCommand.retain('/d', ['ok', '*'])).toThrow('cannot name a token directory');
    expect(() => pilotTokenDir('/d', '..')).toThrow();
    expect(existsSync('/d')).toBe(false);
  });
});

describe('storedTokenOf', () => {
  it('reads iat and exp in ms, and 0 for claims it cannot read', () => {
    expect(storedTokenOf(TOKEN.split('.')[1] ?? '')).toEqual({
      issuedAt: 1_800_000_000_000,
      expiresAt: 1_800_004_200_000,
    });
    expect(storedTokenOf('%%%')).toEqual({ issuedAt: 0, expiresAt: 0 });
  });
});
