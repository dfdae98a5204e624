/**
 * REANA-layout workspaces on the "submit side" of the local stack: .stack/shared/reana is /reana inside the
 * HTCondor pool (where the schedd's shadows read and write for chirp staging), owned by the submitter
 * account (uid 2001) that the jobs run as.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { freePort } from './operator.js';
import { STACK, waitFor } from './stack.js';

export const SUBMITTER_UID = 2001;
export const SHARED = join(STACK, 'shared/reana');

export interface Workspace {
  /** The path as jobs and the HPCJob see it: /reana/users/<uuid>/workflows/<id>. */
  path: string;
  /** The same directory on this host. */
  host: string;
}

export function makeWorkspace(files: Record<string, string | Buffer> = {}): Workspace {
  const rel = `users/${randomUUID()}/workflows/${randomUUID()}`;
  const host = join(SHARED, rel);
  mkdirSync(host, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(host, name)), { recursive: true });
    writeFileSync(join(host, name), content);
  }
  chownTree(SHARED);
  return { path: `/reana/${rel}`, host };
}

/** Hands the tree to the submitter account, with a chirp ACL in every directory (cctools needs one per directory). */
export function chownTree(root: string): void {
  execFileSync('chown', ['-R', `${SUBMITTER_UID}:${SUBMITTER_UID}`, root]);
  execFileSync('find', [
    root,
    '-type',
    'd',
    '-exec',
    'sh',
    '-c',
    'for d; do [ -e "$d/.__acl" ] || printf "unix:submitter rwlda\\n" > "$d/.__acl"; chown 2001:2001 "$d/.__acl"; done',
    '_',
    '{}',
    '+',
  ]);
}

/** "sha256 path" of every file below `dir` (relative paths, sorted), skipping chirp ACLs and .hpc. */
export function checksums(dir: string, under = ''): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (name === '.__acl' || rel === '.hpc' || rel.startsWith('.hpc/')) continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (!under || rel.startsWith(under))
        out.set(rel, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Runs `argv` inside the HTCondor pool's namespaces (where the submitter account exists). */
export function inPool(argv: string[], user = 'submitter'): string {
  const init = readFileSync(join(STACK, 'pids/pool.init'), 'utf8').trim();
  return execFileSync('nsenter', [
    '-t',
    init,
    '-m',
    '-u',
    '-p',
    '--',
    'runuser',
    '-u',
    user,
    '--',
    ...argv,
  ]).toString();
}

/**
 * A cctools chirp_server exporting /reana on loopback, with a ticket for the submitter. Its port is picked
 * free, and picked again if the server could not bind it: this host hands out ephemeral ports from 1024 up,
 * so any fixed port can be taken by some client's connection.
 */
export async function startChirpServer(): Promise<{ port: number; ticket: string; stop: () => void }> {
  const init = readFileSync(join(STACK, 'pids/pool.init'), 'utf8').trim();
  const inNs = ['-t', init, '-m', '-u', '-p', '--'];
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const argv = ['chirp_server', '-r', '/reana', '-I', '127.0.0.1', '-p', String(port)];
    const server = spawn(
      'nsenter',
      [
        ...inNs,
        'runuser',
        '-u',
        'submitter',
        '--',
        ...argv,
        '-a',
        'unix',
        '-a',
        'ticket',
        '-u',
        '-',
        '-y',
        '/tmp/chirp-transient',
      ],
      { stdio: 'ignore' },
    );
    const stop = () => {
      server.kill('SIGTERM');
      try {
        execFileSync('nsenter', [...inNs, 'pkill', '-f', argv.join(' ')]);
      } catch {
        // already gone
      }
    };
    // A chirp_server that cannot bind its port says so and then neither exits nor serves: give each port
    // 15 s, then try another.
    const up = await waitFor(
      `the chirp_server on port ${port} to answer`,
      () => {
        try {
          inPool(['chirp', '-t', '2', `127.0.0.1:${port}`, 'ls', '/']);
          return true;
        } catch {
          return false;
        }
      },
      15_000,
    ).catch(() => false);
    if (!up) {
      stop();
      if (tries < 5) continue;
      throw new Error(`no chirp_server answered on ${tries} free ports`);
    }
    const ticketFile = `/tmp/hpcop-${port}.ticket`;
    inPool([
      'sh',
      '-c',
      `cd /tmp && chirp -t 10 127.0.0.1:${port} ticket_create -output ${ticketFile} -subject unix:submitter -bits 1024 -duration 86400 / rwlda >/dev/null 2>&1`,
    ]);
    const ticket = inPool(['cat', ticketFile]);
    return { port, ticket, stop };
  }
}

export function chownBack(path: string): void {
  chownSync(path, SUBMITTER_UID, SUBMITTER_UID);
}
