/**
 * Real faults injected into the running local stack: the schedd switched off and on inside the pool, the
 * kube-apiserver killed and started again (with etcd compacted in between, so watches resume into 410 Gone),
 * and the SSH site cut off the network. Each fault has its undo; tests call it in a finally block.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, STACK, kubeConfig, loadStackEnv, waitFor } from '../../support/stack/stack.js';

function pidOf(file: string): string {
  return readFileSync(join(STACK, 'pids', file), 'utf8').trim();
}

/** Runs a command inside the pool's namespaces, as the pool's root (the HTCondor admin there). */
export function poolExec(...cmd: string[]): string {
  return execFileSync('nsenter', ['-t', pidOf('pool.init'), '-m', '-u', '-p', '--', ...cmd], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * True when the pool's main condor_schedd runs. The pool's second schedd (schedd2, started with -local-name)
 * is a condor_schedd too and stays up when the main one is switched off: it does not count.
 */
export function scheddRunning(): boolean {
  try {
    poolExec(
      'sh',
      '-c',
      'for p in $(pgrep -x condor_schedd); do tr "\\0" " " </proc/$p/cmdline | grep -q -- -local-name || exit 0; done; exit 1',
    );
    return true;
  } catch {
    return false;
  }
}

/** Stops the schedd the way an admin does (condor_off), and waits until its process is gone. */
export async function stopSchedd(): Promise<void> {
  poolExec('condor_off', '-daemon', 'schedd');
  await waitFor('the schedd process to exit', () => !scheddRunning(), 60_000, 250);
}

/** Starts it again (condor_on) and waits until it answers a query from the host. */
export async function startSchedd(): Promise<void> {
  poolExec('condor_on', '-daemon', 'schedd');
  const env = loadStackEnv();
  await waitFor(
    'the schedd to answer again',
    () => {
      try {
        execFileSync(join(STACK, 'bin/condor_q'), ['-name', env.HPC_SCHEDD_NAME as string, '-totals'], {
          stdio: 'ignore',
          env: process.env,
        });
        return true;
      } catch {
        return false;
      }
    },
    90_000,
    500,
  );
}

function etcdURL(path: string): string {
  const port = /--listen-client-urls http:\/\/127\.0\.0\.1:(\d+)/.exec(
    readFileSync(`/proc/${pidOf('etcd.pid')}/cmdline`, 'utf8').replace(/\0/g, ' '),
  )?.[1];
  if (!port) throw new Error('cannot find the etcd client port');
  return `http://127.0.0.1:${port}${path}`;
}

/** etcd's current revision, from its gRPC gateway. */
export async function etcdRevision(): Promise<number> {
  // A range over one key that never exists still returns the store's revision in the header.
  const r = await fetch(etcdURL('/v3/kv/range'), {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from('/hpcop-chaos-none').toString('base64') }),
  });
  const body = (await r.json()) as { header?: { revision?: string } };
  return Number(body.header?.revision);
}

/** Writes a key straight into etcd (with the apiserver down): the store's history moves on. */
export async function etcdPut(key: string): Promise<void> {
  const b64 = (v: string) => Buffer.from(v).toString('base64');
  const r = await fetch(etcdURL('/v3/kv/put'), {
    method: 'POST',
    body: JSON.stringify({ key: b64(key), value: b64(String(Date.now())) }),
  });
  if (!r.ok) throw new Error(`etcd put failed: ${r.status} ${await r.text()}`);
}

/** Compacts etcd's history up to `revision`: watches that resume from before it get 410 Gone. */
export async function compactEtcd(revision: number): Promise<void> {
  const r = await fetch(etcdURL('/v3/kv/compaction'), {
    method: 'POST',
    body: JSON.stringify({ revision: String(revision), physical: true }),
  });
  if (!r.ok) throw new Error(`etcd compaction failed: ${r.status} ${await r.text()}`);
}

/** Kills the kube-apiserver (SIGKILL) and waits until its port refuses connections. */
export async function killApiserver(): Promise<void> {
  execFileSync('kill', ['-KILL', pidOf('kube-apiserver.pid')]);
  const kc = kubeConfig();
  const server = kc.getCurrentCluster()?.server as string;
  await waitFor(
    'the kube-apiserver to be gone',
    async () => {
      try {
        await fetch(`${server}/healthz`);
        return false;
      } catch {
        return true;
      }
    },
    30_000,
    200,
  );
}

/** Starts what is not running (stack.sh up is idempotent), i.e. the kube-apiserver, and waits for it. */
export function startStack(): void {
  execFileSync(join(REPO, 'test/e2e/stack/stack.sh'), ['up'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: process.env,
  });
}

/**
 * Cuts the SSH site off: a blackhole route on the host for the site's address, so packets to it vanish
 * (connections time out, as across a broken network) and the pilots' replies to the pool are lost.
 */
export function partitionSite(): void {
  const env = loadStackEnv();
  execFileSync('ip', ['route', 'add', 'blackhole', `${env.HPC_SITE_HOST}/32`]);
}

export function healSite(): void {
  const env = loadStackEnv();
  try {
    execFileSync('ip', ['route', 'del', 'blackhole', `${env.HPC_SITE_HOST}/32`], { stdio: 'ignore' });
  } catch {
    // Already healed (the test heals, and afterAll heals again in case it failed midway).
  }
}

/** Random integer in [lo, hi]. */
export function between(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}
