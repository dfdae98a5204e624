/**
 * Live logs end to end on the local stack: a real operator serving HTTPS (a certificate made here with
 * openssl, --serving-cert-dir), real HTCondor jobs printing a line a second, real condor_tail children
 * (counted in /proc), and the real plugin (`kubectl hpc logs`, through tsx) authenticating with the admin's
 * client certificate or ServiceAccount tokens, checked by the real API server (TokenReview,
 * SubjectAccessReview, the cluster's client CA).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  getHPCJob,
  installCRDs,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { REPO, kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const ns = uniqueName('e2e-logs');
const certDir = mkdtempSync(join(tmpdir(), 'hpcop-serving-'));
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [`--serving-cert-dir=${certDir}`, '--max-log-followers-per-schedd=2'],
});
const CLI = join(REPO, 'src/cli/kubectl-hpc.ts');
const TICKS = 20;
const ticker = (word: string, n: number | 'forever') =>
  `i=0\nwhile ${n === 'forever' ? ':' : `[ $i -lt ${n} ]`}; do i=$((i+1)); echo "${word} $i"; echo "warn $i" >&2; sleep 1; done`;

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

interface Plugin {
  out: () => string;
  err: () => string;
  done: Promise<number | null>;
  stop: () => void;
}

/** `kubectl hpc logs ...` as a running process, its output read as it comes. */
function logs(args: string[], kubeconfig = process.env.KUBECONFIG as string): Plugin {
  const endpoint = [
    `--operator-url=https://127.0.0.1:${op.servingPort}`,
    `--operator-ca=${join(certDir, 'ca.crt')}`,
  ];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'logs', ...args, '-n', ns, '--kubeconfig', kubeconfig, ...endpoint],
    { cwd: REPO, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { out: () => out, err: () => err, done, stop: () => child.kill('SIGINT') };
}

/** condor_tail processes running for this job (the operator's children; any user of the machine). */
function condorTails(jobId: string): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((a) => a !== '');
    } catch {
      continue;
    }
    if (args.some((a) => a.endsWith('/condor_tail')) && args.at(-1) === jobId) n++;
  }
  return n;
}

async function jobIdOf(name: string): Promise<string> {
  return (await waitForPhase(kc, ns, name, ['Running'], 180_000)).status?.jobId as string;
}

/** A kubeconfig of a ServiceAccount of the test namespace that may read HPCJobs, and their logs if `withLogs`. */
async function serviceAccount(name: string, withLogs: boolean): Promise<string> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
  const rules: k8s.V1PolicyRule[] = [{ apiGroups: ['hpc.scailfin.io'], resources: ['hpcjobs'], verbs: ['get', 'list'] }];
  if (withLogs) rules.push({ apiGroups: ['hpc.scailfin.io'], resources: ['hpcjobs/log'], verbs: ['get'] });
  await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name }, rules } });
  const subjects = [{ kind: 'ServiceAccount', name, namespace: ns }];
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name };
  await rbac.createNamespacedRoleBinding({ namespace: ns, body: { metadata: { name }, roleRef, subjects } });
  const token = await core.createNamespacedServiceAccountToken({
    name,
    namespace: ns,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
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

beforeAll(async () => {
  servingCert();
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await op.start();
  await Promise.all([
    createHPCJob(kc, ns, 'ticker', { script: ticker('tick', TICKS) }),
    createHPCJob(kc, ns, 'long', { script: ticker('beat', 'forever') }),
    createHPCJob(kc, ns, 'long2', { script: ticker('beat', 'forever') }),
  ]);
});

afterAll(async () => {
  await deleteNamespace(kc, ns);
  await waitFor('the test HPCJobs to go', async () => !(await getHPCJob(kc, ns, 'long')), 90_000, 1000).catch(
    (e: Error) => console.warn(e.message),
  );
  await op.stop();
});

describe('kubectl hpc logs -f through the operator', () => {
  it('shows a running step from its first line on, before it ends, and goes on to its end; two followers share one condor_tail', async () => {
    const jobId = await jobIdOf('ticker');
    const a = logs(['ticker', '-f']);
    await waitFor('the first lines', () => a.out().includes('tick 3\n'), 60_000, 100);
    expect((await getHPCJob(kc, ns, 'ticker'))?.status?.phase).toBe('Running');
    expect(a.out().startsWith('tick 1\ntick 2\ntick 3\n')).toBe(true);

    const b = logs(['ticker', '-f']);
    await waitFor('the second follower to catch up', () => b.out().includes('tick 6\n'), 60_000, 100);
    expect(b.out().startsWith('tick 1\n')).toBe(true);
    expect(condorTails(jobId)).toBe(1);
    b.stop();
    await b.done;
    const seen = a.out().length;
    await waitFor('more lines after the second follower left', () => a.out().length > seen, 30_000, 100);
    expect(condorTails(jobId)).toBe(1);

    expect(await a.done).toBe(0);
    expect(a.err()).toBe('');
    expect(a.out()).toBe(Array.from({ length: TICKS }, (_, i) => `tick ${i + 1}\n`).join(''));
    await waitFor('condor_tail to be gone', () => condorTails(jobId) === 0, 15_000, 200);
    // Once it has ended, -f prints the fetched file, as without -f.
    const again = logs(['ticker', '-f']);
    expect([await again.done, again.out().split('\n').length - 1]).toEqual([0, TICKS]);
  });

  it('stops condor_tail when its clients go away, and answers 429 over the bound per schedd', async () => {
    const jobId = await jobIdOf('long');
    await jobIdOf('long2');
    const out = logs(['long', '-f']);
    const err = logs(['long', '-f', '--stderr']);
    await waitFor(
      'both streams',
      () => out.out().includes('beat 2\n') && err.out().includes('warn 2\n'),
      60_000,
      100,
    );
    expect(condorTails(jobId)).toBe(2);

    const over = logs(['long2', '-f']);
    expect(await over.done).toBe(1);
    expect(over.err()).toContain(
      `the operator answered 429: 2 of 2 log followers of schedd ${process.env.HPC_SCHEDD_NAME} (pool ${process.env.HPC_COLLECTOR}) are in use (--max-log-followers-per-schedd): try again later`,
    );

    out.stop();
    err.stop();
    await Promise.all([out.done, err.done]);
    await waitFor('the condor_tail children to be gone', () => condorTails(jobId) === 0, 15_000, 200);

    // Without -f, what is there so far: one condor_tail poll.
    const soFar = logs(['long2']);
    expect(await soFar.done).toBe(0);
    expect(soFar.out()).toMatch(/^beat 1\nbeat 2\n/);
  });

  it('needs get on hpcjobs/log: a ServiceAccount without it gets 403, one with it reads (bearer tokens)', async () => {
    await jobIdOf('long2');
    const denied = logs(['long2'], await serviceAccount('no-log', false));
    expect(await denied.done).toBe(1);
    expect(denied.err()).toContain(
      `the operator answered 403: hpcjobs.hpc.scailfin.io "long2" is forbidden: User "system:serviceaccount:${ns}:no-log" cannot get resource "hpcjobs/log" in API group "hpc.scailfin.io" in the namespace "${ns}"`,
    );
    const allowed = logs(['long2'], await serviceAccount('log-reader', true));
    expect([await allowed.done, allowed.err()]).toEqual([0, '']);
    expect(allowed.out()).toMatch(/^beat 1\n/);
  });
});
