/**
 * Property test of the submit-description builder against the real condor_submit: for arbitrary arguments,
 * environments, string commands, ClassAd attributes and file lists (drawn largely from the characters that
 * mean something to the submit language, the ClassAd parser or a shell), either the builder refuses the
 * value with one of its documented errors and the value really holds what that error names, or HTCondor
 * parses back (`condor_submit -dry-run`) exactly the intended values, one job per sample. A property run
 * renders 100 samples the way the operator batches jobs (one `queue ... from` table where values allow), so
 * one dry-run checks many samples. Seeded: on failure fast-check prints the seed and the path to replay.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SubmitDescriptionError,
  renderSubmitDescription,
  renderSubmitDescriptions,
  s,
  type ClassAdValue,
  type SubmitJob,
} from '../../src/condor/submit-description.js';
import { dryRun, parseV2, parseV2Env, queueStatements, type Ad } from '../fixtures/hostile/harness.js';
import { adNumber } from '../../src/condor/parse.js';
import { equalsString } from '../../src/condor/schedd-commands.js';
import { condorCli, schedd, waitFor } from '../support/stack/stack.js';

const cli = condorCli();
const work = mkdtempSync(join(tmpdir(), 'hpcop-property-submit-'));
/** Fixed unless FC_SEED is set, so that a failure replays; fast-check prints seed and path when it fails. */
const SEED = Number(process.env.FC_SEED ?? 20261125);
const RUNS = Number(process.env.FC_RUNS ?? 20);

/** One character or token, mostly from the alphabet that means something to HTCondor or a shell. */
const unit = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      ...[' ', '\t', '\n', '\r', '\0', '\v', '\f', "'", '"', '\\', '$', '(', ')', '$(', '$$', '#', '=', ','],
      ...[';', '`', '|', '&', '<', '>', '*', '?', '[', ']', '{', '}', '~', '!', '%', '^', '+', '@', ':', '/'],
      ...[
        'queue',
        'queue 5',
        '+Owner',
        'include',
        'DOLLAR',
        '$(DOLLAR)',
        '\u202e',
        '\u2028',
        '\u00a0',
        '\x1b',
      ],
      ...['\x7f', 'é', '🦀', 'e\u0301', '\u200b', '\ufeff', 'ｑ'],
    ),
  },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);
/**
 * Text that the builder must carry or refuse: usually free of the few characters it refuses outright (line
 * breaks, NUL, `$`), so that most samples reach HTCondor; sometimes anything at all.
 */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: unit.filter((u) => !/[\n\r\0$]/.test(u)), maxLength: 10 }) },
  { weight: 1, arbitrary: fc.string({ unit, maxLength: 10 }) },
);
/** Environment names: mostly valid ones (so that values get checked), sometimes anything. */
const envName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('A', 'B', 'C_1', 'PATH', '_x') },
  { weight: 1, arbitrary: fc.string({ unit, minLength: 1, maxLength: 4 }) },
);

interface Sample {
  args: string[];
  env: [string, string][];
  batchName: string;
  note: string | number | boolean | null;
  files: string[];
  memory: number;
}

const sample: fc.Arbitrary<Sample> = fc.record({
  args: fc.array(text, { maxLength: 4 }),
  env: fc.uniqueArray(fc.tuple(envName, text), { maxLength: 3, selector: ([n]) => n }),
  batchName: text,
  // Integers only: HTCondor prints reals with 15 significant digits, which says nothing about the builder.
  note: fc.oneof(text, fc.maxSafeInteger(), fc.boolean(), fc.constant(null)),
  files: fc.array(text, { maxLength: 3 }),
  memory: fc.integer({ min: 1, max: 2 ** 32 }),
});

function jobOf(x: Sample, i: number): SubmitJob {
  return {
    commands: {
      executable: s.string('/bin/true'),
      arguments: s.args(x.args),
      environment: s.env(Object.fromEntries(x.env)),
      batch_name: s.string(x.batchName),
      ...(x.files.length > 0 ? { transfer_input_files: s.list(x.files) } : {}),
      request_memory: s.int(x.memory),
    },
    attributes: { HPCIndex: i, HPCNote: x.note as ClassAdValue },
  };
}

// ------------------------------------------------------------------- the refusals the builder documents

const LINE = /[\n\r\0]/;
const MACRO = /\$[($]/;
// eslint-disable-next-line no-control-regex -- control characters are what classAdString refuses
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Every refusal message the value justifies, by the rules the builder's comments state. */
function refusals(x: Sample): RegExp[] {
  const out: RegExp[] = [];
  const argLike = (v: string) => {
    if (LINE.test(v)) out.push(/must not contain a line break or NUL character/);
    if (MACRO.test(v)) out.push(/must not contain "\$\(" or "\$\$"/);
  };
  x.args.forEach(argLike);
  for (const [n, v] of x.env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) out.push(/invalid variable name/);
    argLike(v);
  }
  const b = x.batchName;
  if (LINE.test(b)) out.push(/must not contain a line break or NUL character/);
  if (b.endsWith('\\')) out.push(/must not end with a backslash/);
  if (b.trim() !== b) out.push(/must not start or end with blanks/);
  if (b.startsWith('"') || b.endsWith('"')) out.push(/must not start or end with a double quote/);
  if (MACRO.test(b)) out.push(/must not contain "\$\(" or "\$\$"/);
  if (typeof x.note === 'string') {
    if (CONTROL.test(x.note)) out.push(/must not contain a line break or control character/);
    if (x.note.includes('\\"') || x.note.endsWith('\\'))
      out.push(/must not end with a backslash or have a backslash before a quote/);
    if (MACRO.test(x.note)) out.push(/must not contain "\$\(" or "\$\$"/);
  }
  for (const f of x.files) {
    if (f === '') out.push(/list items must not be empty/);
    if (f.endsWith('\\')) out.push(/must not end with a backslash/);
    if (LINE.test(f)) out.push(/must not contain a line break or NUL character/);
    if (/[,\s]/.test(f)) out.push(/has a comma or space/);
    if (MACRO.test(f)) out.push(/must not contain "\$\(" or "\$\$"/);
  }
  return out;
}

// ---------------------------------------------------------------------------- what HTCondor must parse

/** The ad must carry exactly the sample's values; `allEnv` are the variables any job of the batch sets. */
function checkAd(ad: Ad, x: Sample, i: number, allEnv: Set<string>): void {
  expect(ad.HPCIndex).toBe(i);
  expect(ad.Cmd).toBe('/bin/true');
  expect(parseV2(String(ad.Arguments ?? ''))).toEqual(x.args);
  const env = new Map(x.env);
  // A variable another job of the batch sets is empty in this one.
  for (const n of allEnv) if (!env.has(n)) env.set(n, '');
  expect(Object.fromEntries(parseV2Env(String(ad.Environment ?? '')))).toEqual(Object.fromEntries(env));
  expect(ad.JobBatchName).toBe(x.batchName === '' ? undefined : x.batchName);
  expect(ad.HPCNote).toBe(x.note);
  expect(ad.TransferInput).toBe(x.files.length > 0 ? x.files.join(',') : undefined);
  expect(ad.RequestMemory).toBe(x.memory);
}

describe('the reader of ad values the property relies on', () => {
  it('splits Arguments and Environment as HTCondor does for a real job', async () => {
    // The dry-run ads hold these values in HTCondor's V2 form, some characters (form feed, vertical tab)
    // unquoted: what a running job actually receives decides how parseV2 must read them.
    const values = ['a\fb', 'c\vd', 'e f', "it's", 'q"q', '\\', 'é🦀\u202e', '\t', ''];
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-property-real-'));
    chmodSync(dir, 0o777);
    const tag = `hpcop-v2-${process.pid}-${Date.now()}`;
    const env = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
    const job: SubmitJob = {
      commands: {
        executable: s.string('/bin/sh'),
        // argv then the environment, each NUL-terminated, to a file that comes back with the job.
        arguments: s.args([
          '-c',
          'for a in "$@"; do printf "%s\\0" "$a"; done > argv; env -0 > env',
          'sh',
          ...values,
        ]),
        environment: s.env(env),
        should_transfer_files: s.string('YES'),
        transfer_output_files: s.list(['argv', 'env']),
      },
      attributes: { HPCJobUID: tag },
    };
    const description = renderSubmitDescription([job]);
    const [ad] = await dryRun(cli, description, dir);
    const sd = schedd();
    await sd.submit(description, { cwd: dir });
    await waitFor(
      'the V2 probe job to complete',
      async () => {
        const [a] = await sd.query(equalsString('HPCJobUID', tag), [
          'JobStatus',
          'HoldReasonCode',
          'HoldReason',
        ]);
        if (a && adNumber(a, 'JobStatus') === 5 && adNumber(a, 'HoldReasonCode') !== 16)
          throw new Error(`held: ${String(a.HoldReason)}`);
        return a && adNumber(a, 'JobStatus') === 4;
      },
      150_000,
      1000,
    );
    await sd.transferData(equalsString('HPCJobUID', tag));
    await sd.act('condor_rm', equalsString('HPCJobUID', tag));
    const got = readFileSync(join(dir, 'argv'), 'utf8').split('\0').slice(0, -1);
    const gotEnv = new Map(
      readFileSync(join(dir, 'env'), 'utf8')
        .split('\0')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
    );
    // What the job received is what was meant, and what parseV2 reads from the ad.
    expect(got).toEqual(values);
    expect(parseV2(String(ad?.Arguments)).slice(3)).toEqual(got);
    for (const [k, v] of parseV2Env(String(ad?.Environment))) expect([k, gotEnv.get(k)]).toEqual([k, v]);
    expect(Object.fromEntries(parseV2Env(String(ad?.Environment)))).toEqual(env);
  });
});

describe('the submit description builder, read back by condor_submit -dry-run', () => {
  it('refuses with a documented, justified error, or HTCondor parses exactly the intended values', async () => {
    let checked = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(sample, { minLength: 100, maxLength: 100 }), async (samples) => {
        const accepted: { x: Sample; i: number; job: SubmitJob }[] = [];
        samples.forEach((x, i) => {
          const job = jobOf(x, i);
          const why = refusals(x);
          let error: unknown;
          try {
            renderSubmitDescription([job]);
          } catch (e) {
            error = e;
          }
          if (why.length === 0) {
            expect(error).toBeUndefined();
            accepted.push({ x, i, job });
            return;
          }
          // Refused, with one of the errors the value justifies.
          expect(error).toBeInstanceOf(SubmitDescriptionError);
          const message = (error as Error).message;
          expect([message, why.some((re) => re.test(message))]).toEqual([message, true]);
          refused++;
        });
        if (accepted.length === 0) return;
        const allEnv = new Set(accepted.flatMap(({ x }) => x.env.map(([n]) => n)));
        let procs = 0;
        for (const { description, jobs } of renderSubmitDescriptions(accepted.map((a) => a.job))) {
          // One cluster: a single queue statement, whatever the values held.
          expect(queueStatements(description)).toHaveLength(1);
          const ads = await dryRun(cli, description, work);
          expect(ads).toHaveLength(jobs.length);
          ads.forEach((ad, p) => {
            const a = accepted[jobs[p] as number] as (typeof accepted)[number];
            checkAd(ad, a.x, a.i, allEnv);
          });
          procs += ads.length;
        }
        expect(procs).toBe(accepted.length);
        checked += accepted.length;
      }),
      // Shrinking a 100-sample failure would cost a dry-run per step: the first failing run is reported as is
      // (its 100 samples, the seed and the path; the failed expectation shows the value at fault).
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // Both branches were exercised: the property is not vacuous.
    expect(checked).toBeGreaterThan(RUNS * 10);
    expect(refused).toBeGreaterThan(RUNS * 10);
    console.log(
      `submit property: ${checked} samples parsed back by HTCondor, ${refused} refused (seed ${SEED})`,
    );
  });
});
