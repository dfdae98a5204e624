/** src/condor against the real HTCondor pool of the local stack. */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobStatus } from '../../src/condor/job-status.js';
import { adNumber, adString, jobIdsOf } from '../../src/condor/parse.js';
import { equalsString } from '../../src/condor/schedd-commands.js';
import {
  renderSubmitDescription,
  renderSubmitDescriptions,
  s,
  type SubmitJob,
} from '../../src/condor/submit-description.js';
import { schedd, uniqueName, waitFor } from '../support/stack/stack.js';

const HOSTILE = [
  'plain',
  'a b',
  "it's",
  'say "hi"',
  'back\\slash\\',
  '$ENV(HOME) $HOME a$ $',
  'cost: 5$',
  '#not a comment',
  'queue 100',
  '\tleading tab',
  'ünïcödé ✓',
  '',
];

describe('src/condor on the local pool', () => {
  const sd = schedd();

  it('submits a job that runs and is read back as completed with exit code 0', async () => {
    const tag = uniqueName('smoke');
    const description = renderSubmitDescription([
      {
        commands: {
          executable: s.string('/bin/sh'),
          arguments: s.args(['-c', 'echo hello from `hostname`; exit 0']),
          should_transfer_files: s.string('YES'),
          output: s.string('out'),
          error: s.string('err'),
        },
        attributes: { HPCJobUID: tag },
      },
    ]);
    const ranges = await sd.submit(description);
    const [jobId] = jobIdsOf(ranges);
    expect(jobId).toMatch(/^\d+\.0$/);
    const ad = await waitFor(
      'the job to complete',
      async () => {
        const [a] = await sd.query(equalsString('HPCJobUID', tag), ['JobStatus', 'ExitCode', 'HoldReason']);
        if (a && adNumber(a, 'JobStatus') === JobStatus.Held)
          throw new Error(`held: ${adString(a, 'HoldReason')}`);
        return a && adNumber(a, 'JobStatus') === JobStatus.Completed ? a : undefined;
      },
      90_000,
    );
    expect(adNumber(ad, 'ExitCode')).toBe(0);
    expect(`${adNumber(ad, 'ClusterId')}.${adNumber(ad, 'ProcId')}`).toBe(jobId);
    expect(await sd.act('condor_rm', equalsString('HPCJobUID', tag))).toBe(true);
  });

  it('carries hostile values as data: attributes, arguments and environment reach the job unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-e2e-'));
    const tag = uniqueName('hostile');
    const jobs: SubmitJob[] = HOSTILE.map((value, i) => ({
      commands: {
        executable: s.string('/bin/sh'),
        // argv[1..] are printed one per line, then the environment value.
        arguments: s.args([
          '-c',
          'for a in "$@"; do printf "[%s]\\n" "$a"; done; printf "<%s>" "$V"',
          'sh',
          value,
          'end',
        ]),
        environment: s.env({ V: value }),
        should_transfer_files: s.string('YES'),
        output: s.string(`out.${i}`),
      },
      // The old ClassAd syntax of submit files cannot carry a trailing backslash: that one is refused (unit test).
      attributes: { HPCJobUID: tag, HPCNote: value.endsWith('\\') ? null : value, HPCIndex: i },
    }));
    // Values that cannot sit in a queue table row split the batch into several descriptions.
    let submitted = 0;
    for (const { description } of renderSubmitDescriptions(jobs)) {
      submitted += jobIdsOf(await sd.submit(description, { cwd: dir })).length;
    }
    expect(submitted).toBe(HOSTILE.length);
    const ads = await waitFor(
      'the hostile jobs to complete',
      async () => {
        const all = await sd.query(equalsString('HPCJobUID', tag), ['JobStatus', 'HPCNote', 'HPCIndex']);
        return all.length === HOSTILE.length &&
          all.every((a) => adNumber(a, 'JobStatus') === JobStatus.Completed)
          ? all
          : undefined;
      },
      120_000,
    );
    for (const ad of ads) {
      const value = HOSTILE[adNumber(ad, 'HPCIndex') as number] as string;
      if (!value.endsWith('\\')) expect(adString(ad, 'HPCNote')).toBe(value);
    }
    await sd.transferData(equalsString('HPCJobUID', tag));
    HOSTILE.forEach((value, i) => {
      expect(readFileSync(join(dir, `out.${i}`), 'utf8')).toBe(`[${value}]\n[end]\n<${value}>`);
    });
    await sd.act('condor_rm', equalsString('HPCJobUID', tag));
  });

  it('submits a batch with per-job values as one cluster, and each job gets exactly its own values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-e2e-'));
    const tag = uniqueName('batch');
    const jobs: SubmitJob[] = [0, 1, 2].map((i) => ({
      commands: {
        executable: s.string('/bin/sh'),
        arguments: s.args(['-c', 'printf "%s|%s|%s" "$A" "$B" "$C"']),
        // Job 0 sets B, the others do not: no variable may leak from one job to another.
        environment: s.env(i === 0 ? { A: `a${i}`, B: 'only-0' } : { A: `a${i}`, C: `c${i}` }),
        request_memory: s.int(100 + i),
        should_transfer_files: s.string('YES'),
        output: s.string(`batch.${i}`),
      },
      attributes: { HPCJobUID: tag, HPCIndex: i },
    }));
    const batches = renderSubmitDescriptions(jobs);
    expect(batches).toHaveLength(1);
    const ranges = await sd.submit(batches[0]!.description, { cwd: dir });
    expect(ranges).toHaveLength(1);
    expect(jobIdsOf(ranges)).toHaveLength(3);
    const ads = await waitFor(
      'the batch to complete',
      async () => {
        const all = await sd.query(equalsString('HPCJobUID', tag), [
          'JobStatus',
          'HPCIndex',
          'RequestMemory',
        ]);
        return all.length === 3 && all.every((a) => adNumber(a, 'JobStatus') === JobStatus.Completed)
          ? all
          : undefined;
      },
      120_000,
    );
    for (const ad of ads)
      expect(adNumber(ad, 'RequestMemory')).toBe(100 + (adNumber(ad, 'HPCIndex') as number));
    await sd.transferData(equalsString('HPCJobUID', tag));
    expect(readFileSync(join(dir, 'batch.0'), 'utf8')).toBe('a0|only-0|');
    expect(readFileSync(join(dir, 'batch.1'), 'utf8')).toBe('a1||c1');
    expect(readFileSync(join(dir, 'batch.2'), 'utf8')).toBe('a2||c2');
  });

  it('reads no match as an empty list and reports an unreachable schedd as unavailable', async () => {
    expect(await sd.query('HPCJobUID == "no-such-job"', ['JobStatus'])).toEqual([]);
    expect(await sd.act('condor_rm', 'HPCJobUID == "no-such-job"')).toBe(false);
    const { ScheddCommands } = await import('../../src/condor/schedd-commands.js');
    const missing = new ScheddCommands(sd.cli, { name: 'nosuch@nowhere', pool: sd.target.pool });
    await expect(missing.query('true', ['JobStatus'])).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
