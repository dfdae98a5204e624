/**
 * `kubectl hpc logs|status|describe hpcjobset/NAME --index N` on the local stack: a real operator serving
 * HTTPS (a certificate made here with openssl, --serving-cert-dir), real HPCJobSets whose indices are procs
 * of one HTCondor cluster, and the plugin as a child process (test/support/stack/plugin.ts) with the admin's
 * client certificate, or a ServiceAccount's token, checked by the real API server. Pool only.
 * It proves: an index that succeeded prints its own output ($(HPC_INDEX) echoed), a failed one its stderr,
 * an index out of range an error that names the set's indices; a running index is followed live
 * (condor_tail of its proc) from its first line to its end; reading an index's log needs get on
 * hpcjobsets/log.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rangesInclude } from '../../src/controllers/hpcjobset/index-state.js';
import type { HPCJobSet, HPCJobSetSpec } from '../../src/crds/hpcjobset.js';
import { createNamespace, deleteNamespace, installCRDs, keepCRDsInstalled } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { hpc, startHpc } from '../support/stack/plugin.js';
import { kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const SETS = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'hpcjobsets' };
const ns = uniqueName('e2e-setlogs');
const certDir = mkdtempSync(join(tmpdir(), 'hpcop-serving-'));
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [`--serving-cert-dir=${certDir}`],
});
const TICKS = 8;

/** A CA and a serving certificate for 127.0.0.1 and localhost, as an admin would make them. */
function servingCert(): void {
  const at = (n: string) => join(certDir, n);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...EC, '-days', '1', '-subj', '/CN=hpc-operator-ca', '-keyout', at('ca.key'), '-out', at('ca.crt'));
  writeFileSync(at('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('req', ...EC, '-subj', '/CN=hpc-operator', '-keyout', at('tls.key'), '-out', at('tls.csr'));
  openssl('x509', '-req', '-in', at('tls.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', at('ext'), '-out', at('tls.crt'));
} // prettier-ignore

/** `kubectl hpc ARGS -n NS` against this file's operator (its live-logs endpoint and CA). */
function plugin(args: string[], kubeconfig = process.env.KUBECONFIG as string): string[] {
  const endpoint = [`--operator-url=https://127.0.0.1:${op.servingPort}`, `--operator-ca=${join(certDir, 'ca.crt')}`];
  return [...args, '-n', ns, '--kubeconfig', kubeconfig, ...(args[0] === 'logs' ? endpoint : [])];
} // prettier-ignore

async function create(name: string, spec: Partial<HPCJobSetSpec>): Promise<void> {
  const body = { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'HPCJobSet', metadata: { name, namespace: ns }, spec };
  await co.createNamespacedCustomObject({ ...SETS, namespace: ns, body });
} // prettier-ignore

async function get(name: string): Promise<HPCJobSet> {
  return (await co.getNamespacedCustomObject({ ...SETS, namespace: ns, name })) as HPCJobSet;
}

function waitForSet(name: string, what: string, test: (s: HPCJobSet) => boolean, ms = 120_000) {
  return waitFor(
    `${name}: ${what}`,
    async () => ((s) => (test(s) ? s : undefined))(await get(name)),
    ms,
    500,
  );
}

/** A kubeconfig of a ServiceAccount that may get and list HPCJobSets, and read their logs if `withLogs`. */
async function serviceAccount(name: string, withLogs: boolean): Promise<string> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
  const rules: k8s.V1PolicyRule[] = [{ apiGroups: ['hpc.scailfin.io'], resources: ['hpcjobsets'], verbs: ['get', 'list'] }];
  if (withLogs) rules.push({ apiGroups: ['hpc.scailfin.io'], resources: ['hpcjobsets/log'], verbs: ['get'] });
  await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name }, rules } });
  const subjects = [{ kind: 'ServiceAccount', name, namespace: ns }];
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name };
  await rbac.createNamespacedRoleBinding({ namespace: ns, body: { metadata: { name }, roleRef, subjects } });
  const token = await core.createNamespacedServiceAccountToken({ name, namespace: ns, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const cluster = kc.getCurrentCluster() as k8s.Cluster;
  const file = join(mkdtempSync(join(tmpdir(), 'hpcop-sa-')), 'kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
    users: [{ name, user: { token: token.status?.token } }],
    contexts: [{ name, context: { cluster: 'local', user: name, namespace: ns } }],
    'current-context': name,
  };
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
} // prettier-ignore

let stopKeeping: () => void = () => undefined;

beforeAll(async () => {
  servingCert();
  await installCRDs(kc);
  // Other checkouts on the shared stack install their own HPCJobSet CRD: keep this one's status schema.
  stopKeeping = keepCRDsInstalled(
    kc,
    (status) => !!status?.properties?.indexRecords?.items?.properties?.failedAttempts,
    1000,
    { crd: 'hpcjobsets.hpc.scailfin.io', part: 'status' },
  );
  await createNamespace(kc, ns);
  await op.start();
  // Index 1 fails (exit 4, no retry); each index prints its own index, on stdout and stderr.
  await create('sweep', {
    count: 3,
    template: {
      command: ['/bin/sh', '-c', 'echo "out $1"; echo "err $1" >&2; [ "$1" != 1 ] || exit 4', 'step'],
      args: ['$(HPC_INDEX)'],
    },
  });
});

afterAll(async () => {
  stopKeeping();
  // While the operator runs, so that the sets take their jobs with them (their finalizer holds the namespace).
  await co.deleteCollectionNamespacedCustomObject({ ...SETS, namespace: ns }).catch(() => undefined);
  await waitFor(
    'the sets to be gone',
    async () =>
      ((await co.listNamespacedCustomObject({ ...SETS, namespace: ns })) as { items: unknown[] }).items
        .length === 0,
    120_000,
    1000,
  ).catch((e: Error) => console.warn(e.message));
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('kubectl hpc ... hpcjobset/NAME --index N', () => {
  it("prints a succeeded index's output, a failed index's stderr, and names the indices of one out of range", async () => {
    const done = await waitForSet('sweep', 'ended', (s) => s.status?.phase === 'Failed');
    expect(done.status).toMatchObject({ succeeded: '0,2', failed: '1' });
    const out = await hpc(plugin(['logs', 'hpcjobset/sweep', '--index', '2']));
    expect([out.code, out.stdout, out.stderr]).toEqual([0, 'out 2\n', '']);
    const err = await hpc(plugin(['logs', 'hpcjobset/sweep', '--index', '1', '--stderr']));
    expect([err.code, err.stdout]).toEqual([0, 'err 1\n']);
    const none = await hpc(plugin(['logs', 'hpcjobset/sweep', '--index', '3']));
    expect([none.code, none.stderr]).toEqual([
      1,
      'error: hpcjobset sweep has no index 3: it has 3 (indices 0-2)\n',
    ]);

    const status = await hpc(plugin(['status', 'hpcjobset/sweep', '--index', '1']));
    expect(status.stdout).toMatch(/^sweep +1 +failed +1 +1 +\d+\.1 +exited with code 4 *$/m);
    const described = await hpc(plugin(['describe', 'hpcjobset/sweep', '--index', '1']));
    expect(described.stdout).toContain('State:            failed\n');
    expect(described.stdout).toMatch(
      /Last failure: +attempt 1, ExitCode, exit code 4, HTCondor job \d+\.1: /,
    );
    expect(described.stdout).toContain(`HPCJobSetIndex == 1'`);
  });

  it('needs get on hpcjobsets/log: a ServiceAccount without it is refused, one with it reads', async () => {
    await waitForSet('sweep', 'ended', (s) => s.status?.phase === 'Failed');
    const without = await hpc(
      plugin(['logs', 'hpcjobset/sweep', '--index', '0'], await serviceAccount('no-log', false)),
    );
    expect(without.code).toBe(1);
    expect(without.stderr).toContain(
      `the operator answered 403: hpcjobsets.hpc.scailfin.io "sweep" is forbidden: User "system:serviceaccount:${ns}:no-log" cannot get resource "hpcjobsets/log" in API group "hpc.scailfin.io" in the namespace "${ns}"`,
    );
    const withLog = await hpc(
      plugin(['logs', 'hpcjobset/sweep', '--index', '0'], await serviceAccount('log', true)),
    );
    expect([withLog.code, withLog.stdout]).toEqual([0, 'out 0\n']);
  });

  it('follows a running index live, from before it runs to its end', async () => {
    const ticker = `i=0; while [ $i -lt ${TICKS} ]; do i=$((i+1)); echo "tick $1 $i"; sleep 1; done`;
    await create('ticker', {
      count: 2,
      template: { command: ['/bin/sh', '-c', ticker, 'step'], args: ['$(HPC_INDEX)'] },
    });
    const f = startHpc(plugin(['logs', 'hpcjobset/ticker', '--index', '1', '-f']));
    await waitFor('the first lines', () => f.out().includes('tick 1 3\n'), 120_000, 100);
    // Seen while the index still runs: it came from condor_tail, not from the fetched file.
    expect(rangesInclude((await get('ticker')).status?.succeeded, 1)).toBe(false);
    expect(await f.done).toBe(0);
    expect(f.out()).toBe(Array.from({ length: TICKS }, (_, i) => `tick 1 ${i + 1}\n`).join(''));
    const set = await waitForSet('ticker', 'Succeeded', (s) => s.status?.phase === 'Succeeded');
    expect(set.status?.succeeded).toBe('0-1');
    // Ended: the same from the file the operator fetched.
    const again = await hpc(plugin(['logs', 'hpcjobset/ticker', '--index', '0']));
    expect([again.code, again.stdout.split('\n').length - 1]).toEqual([0, TICKS]);
  });
});
