/**
 * Secrets stay secret: after the e2e and fault runs, no operator log, Event or HPCJob/VirtualCluster (status
 * included) holds any piece of the SSH private key, the pilot IDTOKEN or the submitter IDTOKEN the tests used.
 * Runs last (make test): deleted test namespaces left their Events and objects in .stack/audit.
 */
import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_DIR, MINTED_TOKENS_FILE } from '../support/stack/kube.js';
import { STACK, kubeConfig } from '../support/stack/stack.js';

/** Pieces of a secret worth looking for: every line or JWT part of 16+ characters that is not a PEM frame. */
function fragmentsOf(secret: string): string[] {
  return secret
    .split(/[\s.]+/)
    .filter((p) => p.length >= 16 && !p.startsWith('-----'))
    .map((p) => p.slice(0, 40));
}

function leaks(haystack: string, secrets: Record<string, string[]>): string[] {
  const found: string[] = [];
  for (const [name, pieces] of Object.entries(secrets))
    for (const p of pieces) if (haystack.includes(p)) found.push(`${name}: ${p.slice(0, 8)}…`);
  return found;
}

const secrets: Record<string, string[]> = {
  'SSH private key': fragmentsOf(readFileSync(join(STACK, 'site/client/id_ed25519'), 'utf8')),
  'pilot IDTOKEN': fragmentsOf(readFileSync(join(STACK, 'condor/pilot.token'), 'utf8')),
  'submitter IDTOKEN': fragmentsOf(readFileSync(join(STACK, 'condor/tokens.d/submitter'), 'utf8')),
  // The pool signing key as its Secret carries it (base64), and the per-pilot tokens minted with it.
  'pool signing key': fragmentsOf(
    readFileSync(join(STACK, 'pool/upper/etc/condor/passwords.d/POOL')).toString('base64'),
  ),
  ...(existsSync(MINTED_TOKENS_FILE)
    ? { 'minted pilot tokens': fragmentsOf(readFileSync(MINTED_TOKENS_FILE, 'utf8')) }
    : {}),
};

describe('secrets after a full run', () => {
  it('has material to look for, and the scan finds it when it is there', () => {
    for (const pieces of Object.values(secrets)) expect(pieces.length).toBeGreaterThan(0);
    const planted = `{"msg":"oops","key":${JSON.stringify(readFileSync(join(STACK, 'site/client/id_ed25519'), 'utf8'))}}`;
    expect(leaks(planted, secrets).length).toBeGreaterThan(0);
  });

  it('are in no operator log', () => {
    const logs = readdirSync(tmpdir())
      .filter((d) => d.startsWith('hpcop-operator-'))
      .map((d) => join(tmpdir(), d, 'operator.log'))
      .filter((f) => existsSync(f));
    console.log(`scanned ${logs.length} operator logs`);
    expect(logs.length).toBeGreaterThan(0);
    const found = logs.flatMap((f) => leaks(readFileSync(f, 'utf8'), secrets).map((l) => `${f}: ${l}`));
    expect(found).toEqual([]);
  });

  it('are in no Event, HPCJob or VirtualCluster, live or from a deleted test namespace', async () => {
    const kc = kubeConfig();
    const events = kc.makeApiClient(k8s.EventsV1Api);
    const co = kc.makeApiClient(k8s.CustomObjectsApi);
    const group = { group: 'hpc.scailfin.io', version: 'v1alpha1' };
    const live = JSON.stringify([
      await events.listEventForAllNamespaces({}),
      await co.listClusterCustomObject({ ...group, plural: 'hpcjobs' }),
      await co.listClusterCustomObject({ ...group, plural: 'virtualclusters' }),
    ]);
    const saved = existsSync(AUDIT_DIR)
      ? readdirSync(AUDIT_DIR).map((f) => [f, readFileSync(join(AUDIT_DIR, f), 'utf8')] as const)
      : [];
    console.log(`scanned the live cluster and ${saved.length} deleted test namespaces`);
    expect(saved.length).toBeGreaterThan(0);
    const found = [
      ...leaks(live, secrets).map((l) => `live: ${l}`),
      ...saved.flatMap(([f, text]) => leaks(text, secrets).map((l) => `${f}: ${l}`)),
    ];
    expect(found).toEqual([]);
  });
});
