/** The SLURM site of the local stack over real SSH, through src/sites/ssh. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { SshTransport } from '../../src/sites/ssh.js';
import { siteLogin, waitFor } from '../support/stack/stack.js';

const login = siteLogin();
const ssh = new SshTransport({ ...login, hostKeys: [login.knownHosts] });

afterAll(() => ssh.close());

describe('the SLURM site over SSH', () => {
  it('runs a batch job submitted with sbatch and reads its state back', async () => {
    const submit = await ssh.exec([
      'sbatch',
      '--parsable',
      '--job-name',
      'hpcop-smoke',
      '--wrap',
      'echo "it ran on $(hostname)"',
    ]);
    expect(submit.code).toBe(0);
    const jobId = submit.stdout.trim().split(';')[0] as string;
    expect(jobId).toMatch(/^\d+$/);
    const state = await waitFor(
      'the SLURM job to finish',
      async () => {
        const r = await ssh.exec(['squeue', '-h', '-t', 'all', '-j', jobId, '-o', '%T']);
        const s = r.stdout.trim();
        return ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL'].includes(s) ? s : undefined;
      },
      60_000,
      500,
    );
    expect(state).toBe('COMPLETED');
    const out = await ssh.exec(['cat', `slurm-${jobId}.out`]);
    expect(out.stdout).toBe('it ran on hpc-site\n');
  });

  it('refuses a login node whose host key is not the pinned one', async () => {
    const other = new SshTransport({
      ...login,
      hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'],
    });
    await expect(other.exec(['true'])).rejects.toMatchObject({ kind: 'host-key' });
    other.close();
  });

  it('reports a key the site does not know as an authentication failure', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/hpcop-key-');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', `${dir}/k`]);
    const pem = readFileSync(`${dir}/k`, 'utf8');
    const other = new SshTransport({ ...login, privateKey: pem, hostKeys: [login.knownHosts] });
    await expect(other.exec(['true'])).rejects.toMatchObject({ kind: 'auth' });
    other.close();
  });
});
