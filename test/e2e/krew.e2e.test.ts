/**
 * kubectl hpc as a user gets it: `make krew`'s archive and plugins/hpc.yaml installed offline by the real krew
 * (hack/build-krew.sh) into a scratch KREW_ROOT, then run through the real kubectl against the local stack:
 * completion through kubectl_complete-hpc, -o name and -o jsonpath, -A on describe and logs,
 * --request-timeout against a server that never answers, and the message for an empty kubeconfig.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createHPCJob, createNamespace, deleteNamespace, installCRDs } from '../support/stack/kube.js';
import { REPO, kubeConfig, loadStackEnv, uniqueName } from '../support/stack/stack.js';

const kc = kubeConfig();
const env = loadStackEnv();
const KREW = join(REPO, '.cache/bin/krew');
const out = mkdtempSync(join(tmpdir(), 'hpcop-krew-'));
const krewRoot = join(out, 'root');
const [nsA, nsB] = [uniqueName('e2e-krew-a'), uniqueName('e2e-krew-b')];
// Unique names: -A searches every namespace of the shared stack, where other tests have a `fit` too.
const [fit, plot] = [uniqueName('fit'), uniqueName('plot')];
const sockets: Socket[] = [];
let silent: Server | undefined;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function sh(cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(cmd, args, {
    // A plugin that hangs fails the test instead of the run.
    timeout: 60_000,
    encoding: 'utf8',
    // The installed plugin first, then the stack's kubectl: what a krew user has on PATH.
    env: { ...process.env, ...extra, KREW_ROOT: krewRoot, PATH: `${krewRoot}/bin:${env.PATH ?? ''}` },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const kubectl = (...args: string[]) => sh('kubectl', args);

function build(dir: string): { archive: string; manifest: string; sha: string } {
  const r = sh(join(REPO, 'hack/krew-archive.sh'), [dir]);
  expect(r.stderr).toBe('');
  const archive = join(dir, 'kubectl-hpc-v0.1.0.tar.gz');
  return {
    archive,
    manifest: join(dir, 'hpc.yaml'),
    sha: createHash('sha256').update(readFileSync(archive)).digest('hex'),
  };
}

beforeAll(async () => {
  await installCRDs(kc);
  await Promise.all([createNamespace(kc, nsA), createNamespace(kc, nsB)]);
  await Promise.all([
    createHPCJob(kc, nsA, fit, { command: ['/bin/true'] }),
    createHPCJob(kc, nsA, plot, { command: ['/bin/true'] }),
    createHPCJob(kc, nsB, plot, { command: ['/bin/true'] }),
  ]);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  silent?.close();
  await Promise.all([deleteNamespace(kc, nsA), deleteNamespace(kc, nsB)]);
});

describe('the krew archive and manifest', () => {
  it('are reproducible, and krew installs them offline', () => {
    const first = build(join(out, 'one'));
    const again = build(join(out, 'two'));
    expect(again.sha).toBe(first.sha);
    const manifest = parse(readFileSync(first.manifest, 'utf8')) as {
      spec: { version: string; platforms: { sha256: string; bin: string }[] };
    };
    expect(manifest.spec.platforms.map((p) => [p.sha256, p.bin])).toEqual([[first.sha, 'kubectl-hpc']]);
    const install = sh(KREW, ['install', `--manifest=${first.manifest}`, `--archive=${first.archive}`]);
    expect(install.stderr).toContain('Installed plugin: hpc');
    expect(install.code).toBe(0);
    const version = kubectl('hpc', 'version');
    expect(version.stdout).toMatch(/^kubectl-hpc v0\.1\.0 \(node v/);
    // krew list and uninstall need the plugin index (a git clone from the network); the receipt is what
    // they read.
    const receipt = parse(readFileSync(join(krewRoot, 'receipts/hpc.yaml'), 'utf8')) as {
      spec: { version: string };
    };
    expect(receipt.spec.version).toBe('v0.1.0');
  });

  it('kubectl completes `kubectl hpc` through kubectl_complete-hpc: commands, flags, HPCJob names', () => {
    // As the manifest's caveats say: the completion helper next to the plugin on PATH.
    const store = join(krewRoot, 'store/hpc/v0.1.0');
    symlinkSync(join(store, 'kubectl_complete-hpc'), join(krewRoot, 'bin/kubectl_complete-hpc'));
    expect(kubectl('__complete', 'hpc', 'de').stdout).toBe('describe\n:4\n');
    expect(kubectl('__complete', 'hpc', 'logs', '--std').stdout).toBe('--stderr\n:4\n');
    expect(kubectl('__complete', 'hpc', 'describe', '-n', nsA, '').stdout).toBe(`${fit}\n${plot}\n:4\n`);
    expect(kubectl('__complete', 'hpc', 'describe', '-n', '').stdout).toContain(`${nsA}\n`);
  });
});

describe('the installed plugin on the cluster', () => {
  it('-o name and -o jsonpath print what kubectl get would', () => {
    expect(kubectl('hpc', 'status', '-n', nsA, '-o', 'name').stdout).toBe(
      `hpcjob.hpc.scailfin.io/${fit}\nhpcjob.hpc.scailfin.io/${plot}\n`,
    );
    const jp = kubectl(
      'hpc',
      'status',
      '-n',
      nsA,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.spec.command[0]}{"\\n"}{end}',
    );
    expect(jp.stdout).toBe(`${fit} /bin/true\n${plot} /bin/true\n`);
  });

  it('-A finds an HPCJob in its namespace, and refuses a name that is in several', () => {
    const d = kubectl('hpc', 'describe', fit, '-A');
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(new RegExp(`^Namespace: +${nsA}$`, 'm'));
    // No operator runs here: found, but not run yet (not "not found").
    expect(kubectl('hpc', 'logs', fit, '-A').stderr).toBe(
      `error: hpcjob ${fit} has not run yet: it has no logs\n`,
    );
    const both = kubectl('hpc', 'describe', plot, '-A');
    expect(both.code).toBe(1);
    expect(both.stderr).toContain(`HPCJobs named ${plot} are in several namespaces (`);
    expect(both.stderr).toContain(nsA);
    expect(both.stderr).toContain(nsB);
  });

  it('--request-timeout gives up on an API server that never answers', async () => {
    // A real listener that accepts connections and never says a word.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent?.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const file = join(out, 'silent.kubeconfig');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters: [{name: s, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: s, context: {cluster: s, user: u}}]\ncurrent-context: s\n`,
    );
    const r = kubectl('hpc', 'status', '--kubeconfig', file, '--request-timeout=1s');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: the Kubernetes API server did not answer within 1s (--request-timeout)\n');
  });

  it('an empty kubeconfig gets a one-line reason, not a TypeError', () => {
    const empty = join(out, 'empty.kubeconfig');
    writeFileSync(empty, '');
    const r = sh('kubectl-hpc', ['status'], { KUBECONFIG: empty });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: the kubeconfig ${empty} is empty: set KUBECONFIG, or pass --kubeconfig FILE (and --context NAME)\n`,
    );
  });
});
