/**
 * SshSiteSession over a recording shell: the exact command lines it sends (quoting as sites/shell.ts does it,
 * `~/` left to the site's shell), what it feeds on stdin, and how it reads recorded tool output
 * (test/fixtures/batch), including the failures a site reports.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lsf, sge, slurm, type BatchSystemAdapter } from './batch.js';
import { siteCommand, SshSiteSession, type RemoteShell } from './ssh-session.js';
import { SshError, type ExecResult } from './ssh.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'batch');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

interface Call {
  command: string;
  input?: string;
}

/** Answers each command with the next recorded result (exit 0 and no output when none is left). */
class RecordingShell implements RemoteShell {
  readonly address = 'hpcuser@login.example:22';
  readonly calls: Call[] = [];
  closed = 0;

  constructor(private readonly answers: Partial<ExecResult>[] = []) {}

  async execScript(command: string, o: { input?: string | Buffer } = {}): Promise<ExecResult> {
    this.calls.push({ command, ...(o.input !== undefined ? { input: o.input.toString() } : {}) });
    const a = this.answers.shift() ?? {};
    return { stdout: a.stdout ?? '', stderr: a.stderr ?? '', code: a.code ?? 0, signal: null };
  }

  close(): void {
    this.closed++;
  }
}

function session(adapter: BatchSystemAdapter, answers: Partial<ExecResult>[] = []) {
  const shell = new RecordingShell(answers);
  return { shell, s: new SshSiteSession(shell, adapter, 'hpcuser') };
}

describe('SshSiteSession', () => {
  it('prepares the directory privately and stores the token from stdin', async () => {
    const { shell, s } = session(slurm);
    await s.prepare('~/.hpcop/0c0ffee0-site1', 'TOKEN');
    expect(shell.calls).toEqual([
      {
        command:
          'umask 077 && mkdir -p "$HOME"/.hpcop/0c0ffee0-site1/pilots "$HOME"/.hpcop/0c0ffee0-site1/logs && cat > "$HOME"/.hpcop/0c0ffee0-site1/pilot.token',
        input: 'TOKEN',
      },
    ]);
  });

  it('quotes a directory with spaces and quotes for the remote shell', async () => {
    const { shell, s } = session(slurm);
    await s.removeToken("/data/it's here");
    expect(shell.calls[0]?.command).toBe(
      "rm -rf '/data/it'\\''s here'/pilot.token '/data/it'\\''s here'/tokens",
    );
    // The shell reads the quoted paths back byte for byte.
    expect(
      execFileSync('sh', [
        '-c',
        `printf '%s|' ${siteCommand.removeToken("/data/it's here").slice(7)}`,
      ]).toString(),
    ).toBe("/data/it's here/pilot.token|/data/it's here/tokens|");
  });

  it('stores a pilot script and submits it from the directory, returning the batch id', async () => {
    const { shell, s } = session(slurm, [{ stdout: '4242\n' }]);
    await expect(s.submitPilot('~/.hpcop/d', 'hpabc-3', '#!/bin/sh\n')).resolves.toBe('4242');
    expect(shell.calls).toEqual([
      {
        command:
          'cd "$HOME"/.hpcop/d && umask 077 && cat > pilots/hpabc-3.sh && sbatch --parsable pilots/hpabc-3.sh',
        input: '#!/bin/sh\n',
      },
    ]);
  });

  it('submits with LSF through its stdin form and reads bsub output', async () => {
    const { shell, s } = session(lsf, [{ stdout: 'Job <9007> is submitted to default queue <normal>.\n' }]);
    await expect(s.submitPilot('/scratch/d', 'hpabc-0', 'x')).resolves.toBe('9007');
    expect(shell.calls[0]?.command).toBe(
      "cd /scratch/d && umask 077 && cat > pilots/hpabc-0.sh && sh -c 'bsub < pilots/hpabc-0.sh'",
    );
  });

  it('reports a refused submission with what the tool said', async () => {
    const { s } = session(sge, [{ code: 1, stderr: fixture('sge-live-qsub-unknown-pe.txt') }]);
    await expect(s.submitPilot('~/d', 'hpabc-0', 'x')).rejects.toMatchObject({
      kind: 'failed',
      message: expect.stringContaining(
        'remote command failed (exit 1): Unable to run job: job rejected: the requested parallel environment "mpi" does not exist',
      ),
    });
  });

  it('lists every job of the user in one call and parses recorded output', async () => {
    const { shell, s } = session(slurm, [{ stdout: fixture('slurm-squeue.txt') }]);
    const jobs = await s.listJobs();
    expect(shell.calls[0]?.command).toBe(`squeue --noheader --states=all --user=hpcuser '--format=%i|%j|%T'`);
    expect(jobs.map((j) => [j.id, j.state])).toEqual([
      ['101', 'queued'],
      ['102', 'running'],
      ['103', 'done'],
      ['104', 'failed'],
      ['105', 'running'],
      ['106', 'running'],
    ]);
  });

  it('takes an SGE listing of no jobs as empty, and a failed listing as an error', async () => {
    await expect(
      session(sge, [{ stdout: fixture('sge-live-qstat-empty.xml') }]).s.listJobs(),
    ).resolves.toEqual([]);
    await expect(
      session(lsf, [{ code: 255, stderr: 'No unfinished job found\n' }]).s.listJobs(),
    ).resolves.toEqual([]);
    await expect(
      session(slurm, [
        { code: 1, stderr: 'slurm_load_jobs error: Unable to contact slurm controller\n' },
      ]).s.listJobs(),
    ).rejects.toEqual(
      new SshError('failed', 'squeue failed: slurm_load_jobs error: Unable to contact slurm controller'),
    );
  });

  it('cancels in one call, and reports what qdel said on stdout when it fails', async () => {
    const ok = session(sge, [{ stdout: fixture('sge-live-qdel.txt') }]);
    await ok.s.cancel(['12', '13']);
    expect(ok.shell.calls[0]?.command).toBe('qdel 12 13');
    const bad = session(sge, [{ code: 1, stdout: fixture('sge-live-qdel-unknown.txt') }]);
    await expect(bad.s.cancel(['999'])).rejects.toEqual(
      new SshError('failed', 'qdel failed: denied: job "999" does not exist'),
    );
    const none = session(sge);
    await none.s.cancel([]);
    expect(none.shell.calls).toEqual([]);
  });

  it('uploads the bundle only when it is not there, atomically', async () => {
    const bundle = { sha256: 'abc', content: () => Buffer.from('tarball') };
    const present = session(slurm, [{ code: 0 }]);
    await present.s.ensureBundle('~/d', bundle);
    expect(present.shell.calls.map((c) => c.command)).toEqual(['cd "$HOME"/d && test -s condor-abc.tar.gz']);
    const missing = session(slurm, [{ code: 1 }, { code: 0 }]);
    await missing.s.ensureBundle('~/d', bundle);
    expect(missing.shell.calls[1]).toEqual({
      command:
        'cd "$HOME"/d && umask 077 && cat > condor-abc.tar.gz.part && mv condor-abc.tar.gz.part condor-abc.tar.gz',
      input: 'tarball',
    });
  });

  it('closes its connection', () => {
    const { shell, s } = session(slurm);
    s.close();
    expect(shell.closed).toBe(1);
    expect(s.address).toBe('hpcuser@login.example:22');
  });
});
