/**
 * A job's identity attributes on the real schedd of the local stack (test/e2e/stack/pool.sh sets
 * IMMUTABLE_JOB_ATTRS; docs/install.md tells admins to): a step cannot rewrite HPCOperator, HPCJobUID,
 * HPCJobAttempt or HPCJobRef through chirp and so report into another HPCJob, nor can the owner with
 * condor_qedit; what the job and the operator must still write (HPCWrapperResult, HPCStderrTail through
 * chirp, HPCAck with condor_qedit) stays writable.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobStatus } from '../../src/condor/job-status.js';
import { adBool, adNumber, adString, jobIdsOf } from '../../src/condor/parse.js';
import { expr, renderSubmitDescription, s } from '../../src/condor/submit-description.js';
import { Tag } from '../../src/condor/tags.js';
import { schedd, uniqueName, waitFor } from '../support/stack/stack.js';

const IDENTITY = [Tag.Operator, Tag.JobUID, Tag.Attempt, Tag.Ref] as const;
const CHIRP = '/usr/libexec/condor/condor_chirp';

/**
 * The step: tries to move the job into another HPCJob, then reports as the wrapper does. One line without
 * `$(`: it travels as an argument of the submit description.
 */
const STEP = [
  `for a in ${IDENTITY.join(' ')}; do` +
    ` if ${CHIRP} set_job_attr "$a" '"other"' >err 2>&1; then r=accepted; else r=refused; fi;` +
    ` printf '%s %s ' "$a" "$r"; tr '\\n' ' ' <err; echo;` +
    ' done',
  `${CHIRP} set_job_attr ${Tag.WrapperResult} '"{\\"category\\":\\"ok\\"}"' && echo "${Tag.WrapperResult} set"`,
  `${CHIRP} set_job_attr ${Tag.StderrTail} '"last words"' && echo "${Tag.StderrTail} set"`,
].join('; ');

describe('job identity attributes on the local schedd', () => {
  const sd = schedd();

  it('a step that can rewrite its own identity attributes through chirp: refused, while its report still goes through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-e2e-identity-'));
    const tag = uniqueName('identity');
    const ranges = await sd.submit(
      renderSubmitDescription([
        {
          commands: {
            executable: s.string('/bin/sh'),
            arguments: s.args(['-c', STEP]),
            want_io_proxy: s.bool(true),
            should_transfer_files: s.string('YES'),
            output: s.string('out'),
            error: s.string('err.log'),
          },
          attributes: {
            [Tag.Operator]: tag,
            [Tag.JobUID]: tag,
            [Tag.Attempt]: 1,
            [Tag.Ref]: 'tenant-a/victim',
          },
        },
      ]),
      { cwd: dir },
    );
    const [jobId] = jobIdsOf(ranges);
    const cluster = `ClusterId == ${String(jobId).split('.')[0]}`;
    const ad = await waitFor(
      'the job to complete',
      async () => {
        const [a] = await sd.query(cluster, [...IDENTITY, Tag.WrapperResult, Tag.StderrTail, 'JobStatus']);
        if (a && adNumber(a, 'JobStatus') === JobStatus.Held) throw new Error(`held: ${JSON.stringify(a)}`);
        return a && adNumber(a, 'JobStatus') === JobStatus.Completed ? a : undefined;
      },
      120_000,
    );

    // The identity is what was submitted; the report and the stderr tail are what the job set.
    expect(IDENTITY.map((a) => [a, ad[a]])).toEqual([
      [Tag.Operator, tag],
      [Tag.JobUID, tag],
      [Tag.Attempt, 1],
      [Tag.Ref, 'tenant-a/victim'],
    ]);
    expect(adString(ad, Tag.WrapperResult)).toBe('{"category":"ok"}');
    expect(adString(ad, Tag.StderrTail)).toBe('last words');

    // What the step saw: each identity write refused, the report accepted.
    await sd.transferData(cluster);
    const lines = readFileSync(join(dir, 'out'), 'utf8').trim().split('\n');
    for (const a of IDENTITY) expect(lines.find((l) => l.startsWith(`${a} `))).toMatch(/^\S+ refused /);
    expect(lines).toContain(`${Tag.WrapperResult} set`);
    expect(lines).toContain(`${Tag.StderrTail} set`);
  });

  it('the owner cannot condor_qedit the identity either, and the operator can still set HPCAck', async () => {
    const tag = uniqueName('identity-qedit');
    const ranges = await sd.submit(
      renderSubmitDescription([
        {
          // Matches no slot: it never runs, it only has to be in the queue (hold at submit and -spool do
          // not go together).
          commands: {
            executable: s.string('/bin/true'),
            requirements: s.expr(expr('TARGET.HPCNeverMatches =?= true')),
          },
          attributes: { [Tag.Operator]: tag, [Tag.JobUID]: tag, [Tag.Attempt]: 1, [Tag.Ref]: 'tenant-a/x' },
        },
      ]),
    );
    const cluster = `ClusterId == ${String(jobIdsOf(ranges)[0]).split('.')[0]}`;
    try {
      for (const a of IDENTITY) await expect(sd.edit(cluster, a, 'other')).rejects.toThrow();
      expect(await sd.edit(cluster, Tag.Ack, true)).toBe(true);
      const [ad] = await sd.query(cluster, [...IDENTITY, Tag.Ack]);
      expect(ad && [adString(ad, Tag.JobUID), adString(ad, Tag.Ref), adBool(ad, Tag.Ack)]).toEqual([
        tag,
        'tenant-a/x',
        true,
      ]);
    } finally {
      await sd.act('condor_rm', cluster);
    }
  });
});
