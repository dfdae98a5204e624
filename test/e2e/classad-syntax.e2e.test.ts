/**
 * The ClassAd syntax checker (src/condor/classad-syntax.ts) against the real HTCondor 23.9 of the local stack.
 * condor_history -file <empty> -constraint parses an expression the way condor_submit parses requirements
 * (ParseClassAdRvalExpr, inside two levels of parentheses, as the operator's expression sits in the job's
 * Requirements) and reads no daemon. The corpus's recorded verdicts, the checker and HTCondor must agree on
 * every case, and on a few hundred seeded, mutated expressions; then the operator's own submit description
 * (buildSubmitJob) goes through condor_submit -dry-run for every case the operator would send.
 */
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classAdSyntaxError } from '../../src/condor/classad-syntax.js';
import { renderSubmitDescription } from '../../src/condor/submit-description.js';
import { buildSubmitJob } from '../../src/controllers/hpcjob/description.js';
import { REQUIREMENTS_WITHIN, classAdProblem } from '../../src/controllers/hpcjob/validate.js';
import { CLASSAD_CORPUS } from '../fixtures/classad/corpus.js';
import { classAdExpressions } from '../fixtures/classad/generate.js';
import { HPCJobBuilder } from '../support/builders/hpcjob.js';
import { STACK, loadStackEnv } from '../support/stack/stack.js';

loadStackEnv();
const dir = mkdtempSync(join(tmpdir(), 'classad-e2e-'));
const emptyHistory = join(dir, 'history');
writeFileSync(emptyHistory, '');
const env = { CONDOR_CONFIG: process.env.CONDOR_CONFIG as string };

/** HTCondor's verdict: condor_history exits 0 when it parsed the constraint, 1 with "could not parse". */
async function htcondorParses(expr: string): Promise<boolean> {
  const r = await execa(join(STACK, 'bin/condor_history'), ['-file', emptyHistory, '-constraint', expr], {
    env,
    reject: false,
  });
  if (r.exitCode !== 0) expect(r.stderr + r.stdout).toContain('could not parse constraint');
  return r.exitCode === 0;
}

/** condor_submit -dry-run of the description the operator writes for a job with these requirements. */
async function submitParses(requirements: string): Promise<boolean> {
  const job = new HPCJobBuilder('classad', 'e2e').spec({ requirements }).obj();
  const attemptDir = mkdtempSync(join(dir, 'attempt-'));
  const description = renderSubmitDescription([
    buildSubmitJob(job, 1, { operatorId: 'classad-e2e', wrapperPath: '/bin/true', attemptDir }),
  ]);
  const file = join(attemptDir, 'job.sub');
  writeFileSync(file, description);
  const r = await execa(join(STACK, 'bin/condor_submit'), ['-dry-run', join(attemptDir, 'dry'), file], {
    env,
    reject: false,
    cwd: attemptDir,
  });
  if (r.exitCode !== 0) expect(r.stderr + r.stdout).toContain('Parse error in expression');
  return r.exitCode === 0;
}

const checkerParses = (expr: string) => classAdSyntaxError(expr, REQUIREMENTS_WITHIN) === undefined;

describe('the ClassAd syntax checker agrees with HTCondor', () => {
  it('on every case of the corpus, as recorded', async () => {
    const disagreements: string[] = [];
    for (const c of CLASSAD_CORPUS) {
      const real = await htcondorParses(c.expr);
      if (real !== c.parses || checkerParses(c.expr) !== real)
        disagreements.push(`${JSON.stringify(c.expr)}: HTCondor ${real}, corpus ${c.parses}`);
    }
    expect(disagreements).toEqual([]);
    // Both verdicts are well represented: the comparison could fail either way.
    expect(CLASSAD_CORPUS.filter((c) => c.parses).length).toBeGreaterThan(50);
    expect(CLASSAD_CORPUS.filter((c) => !c.parses).length).toBeGreaterThan(50);
  }, 120_000);

  it('on 300 seeded mutations of grammar-built expressions', async () => {
    const exprs = classAdExpressions(20261203, 300);
    const disagreements: string[] = [];
    let parsed = 0;
    for (const e of exprs) {
      const real = await htcondorParses(e);
      if (real) parsed++;
      if (checkerParses(e) !== real) disagreements.push(`${JSON.stringify(e)}: HTCondor ${real}`);
    }
    expect(disagreements).toEqual([]);
    expect(parsed).toBeGreaterThan(60);
    expect(parsed).toBeLessThan(240);
  }, 180_000);

  it("through condor_submit -dry-run of the operator's own submit description", async () => {
    const disagreements: string[] = [];
    let sent = 0;
    for (const c of CLASSAD_CORPUS) {
      // Only what the operator would send: its checks refuse the rest before condor_submit.
      if (classAdProblem(c.expr) !== undefined) continue;
      sent++;
      if (!(await submitParses(c.expr))) disagreements.push(JSON.stringify(c.expr));
    }
    expect(disagreements).toEqual([]);
    expect(sent).toBeGreaterThan(50);
    // And a case the checker refuses does fail there: the dry run does see parse errors.
    expect(await submitParses('TARGET.Memory >')).toBe(false);
  }, 180_000);
});
