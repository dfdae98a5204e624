/**
 * Access to the running local stack (make stack-up) for e2e tests: its environment, a Kubernetes client,
 * the HTCondor CLI and the SSH site. Tests fail with a clear message when the stack is not up.
 */
import * as k8s from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CondorCli } from '../../../src/condor/cli.js';
import { ScheddCommands } from '../../../src/condor/schedd-commands.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const STACK = process.env.HPC_STACK ?? join(REPO, '.stack');

/** Loads `.stack/env` (export K="V" lines) into process.env once. */
export function loadStackEnv(): Record<string, string> {
  const file = join(STACK, 'env');
  if (!existsSync(file)) throw new Error(`the local stack is not up (${file} is missing): run make stack-up`);
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)="?(.*?)"?$/.exec(line.trim());
    if (!m) continue;
    const [, name, raw] = m as unknown as [string, string, string];
    env[name] = raw.replace(/\$PATH/g, process.env.PATH ?? '');
  }
  Object.assign(process.env, env);
  return env;
}

export function kubeConfig(): k8s.KubeConfig {
  loadStackEnv();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(process.env.KUBECONFIG as string);
  return kc;
}

export function condorCli(): CondorCli {
  loadStackEnv();
  return new CondorCli({
    binDir: join(STACK, 'bin'),
    env: { CONDOR_CONFIG: process.env.CONDOR_CONFIG as string },
  });
}

/**
 * The stack's schedd (or another of its pool, by name: HPC_SCHEDD2_NAME), driven with constraints of the
 * test's own (condor_* command lines).
 */
export function schedd(name?: string): ScheddCommands {
  loadStackEnv();
  return new ScheddCommands(condorCli(), {
    name: name ?? process.env.HPC_SCHEDD_NAME,
    pool: process.env.HPC_COLLECTOR,
  });
}

/** The SSH login to the SLURM site, as the stack wrote it. */
export function siteLogin() {
  loadStackEnv();
  return {
    host: process.env.HPC_SITE_HOST as string,
    port: 22,
    username: 'hpcuser',
    privateKey: readFileSync(join(STACK, 'site/client/id_ed25519'), 'utf8'),
    knownHosts: readFileSync(join(STACK, 'site/client/known_hosts'), 'utf8'),
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A unique name for test objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
