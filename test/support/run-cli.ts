/**
 * kubectl-hpc's dispatcher run in-process, its output captured, for the CLI unit tests. No cluster: a
 * kubeconfig that does not exist proves the paths under test never need one.
 */
import { runCli } from '../../src/cli/cli.js';

export async function runPlugin(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const env = { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' };
  const code = await runCli(argv, {
    out: { write: (s: string | Uint8Array) => out.push(String(s)) },
    err: { write: (s: string | Uint8Array) => err.push(String(s)) },
    env,
  });
  return { code, out: out.join(''), err: err.join('') };
}
