/**
 * Memory of the operator's job tracker for one HPCJobSet of N indices, without the stack; not a test.
 *
 *   node --import tsx --expose-gc bench/tracker-memory.ts [N] [--heap-snapshot DIR]      (default 100000)
 *
 * RECORDED FORMAT, NOT A LIVE SCHEDD: a stand-in `condor_q` (a shell script in a temporary bin dir) prints
 * answers generated in the format HTCondor's `condor_q -json -attributes …` prints for a set's jobs: `[`,
 * one ad per object with its attributes sorted by name, objects separated by a `,` line, `]`. Every job is a
 * set index job as set-jobs.ts submits it (HPCJobUID the set's uid, HPCJobRef `hpcjobset:ns/name`,
 * HPCJobSetIndex, HPCJobAttempt), idle, in clusters of SetLimit.perSubmission procs, with the attributes of
 * TRACKED_ATTRIBUTES such a job has. Everything else is the operator's own code: CondorCli (execa),
 * ScheddCommands / ScheddClient (the -json parser) and JobTracker / QueueSnapshot.
 *
 * It prints heap used and RSS (after a GC) and the process's peak RSS so far after the first whole read, a
 * delta read (1% of the jobs started running) and a second whole read (the same change). With
 * --heap-snapshot, a V8 heap snapshot is written after the second whole read (open it in Chrome DevTools).
 */
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { pino } from 'pino';
import { CondorCli } from '../src/condor/cli.js';
import { JobStatus } from '../src/condor/job-status.js';
import { ScheddClient } from '../src/condor/schedd.js';
import { JobTracker } from '../src/condor/tracker.js';
import { SetLimit } from '../src/controllers/hpcjobset/reasons.js';
import { SET_REF_PREFIX } from '../src/controllers/hpcjobset/set-jobs.js';
import { ManualClock } from '../test/support/manual-clock.js';

const SET_UID = '6f1c2a9e-3b7d-4c11-9a52-0d8e7f4b2c61';
const SET_REF = `${SET_REF_PREFIX}bench-tracker/sweep`;
const QDATE = 1_764_770_000;
/** Every 100th job runs in the delta and the second whole read. */
const RUNNING_EVERY = 100;

/** One set index job's ad as condor_q -json prints it (attributes sorted by name, two-space indent). */
function adText(i: number, running: boolean): string {
  const cluster = 100 + Math.floor(i / SetLimit.perSubmission);
  const proc = i % SetLimit.perSubmission;
  const attrs: [string, unknown][] = [
    ['AutoClusterId', 7],
    ['ClusterId', cluster],
    ['CompletionDate', 0],
    ['EnteredCurrentStatus', running ? QDATE + 60 : QDATE],
    ['ExitBySignal', false],
    ['HPCJobAttempt', 1],
    ['HPCJobRef', SET_REF],
    ['HPCJobSetIndex', i],
    ['HPCJobUID', SET_UID],
    ['JobStatus', running ? JobStatus.Running : JobStatus.Idle],
    ['NumJobStarts', running ? 1 : 0],
    ['ProcId', proc],
    ['QDate', QDATE],
    ['RequestMemory', 1024],
  ];
  if (running)
    attrs.push(['JobCurrentStartDate', QDATE + 60], ['JobStartDate', QDATE + 60], ['RemoteHost', 'slot1@wn']);
  attrs.sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
  return `{\n${attrs.map(([k, v]) => `  "${k}": ${JSON.stringify(v)}`).join(',\n')}\n}\n`;
}

/** Writes an answer ad by ad (never the whole text in memory: the generator must not inflate the peak). */
function writeAnswer(path: string, n: number, pick: (i: number) => boolean, running: (i: number) => boolean) {
  const fd = openSync(path, 'w');
  writeSync(fd, '[\n');
  let first = true;
  for (let i = 0; i < n; i++) {
    if (!pick(i)) continue;
    writeSync(fd, (first ? '' : ',\n') + adText(i, running(i)));
    first = false;
  }
  writeSync(fd, ']\n');
  closeSync(fd);
}

/** The stand-in condor_q: a delta read (EnteredCurrentStatus in the constraint) gets delta.json. */
function standIn(dir: string, n: number): void {
  const runs = (i: number) => i % RUNNING_EVERY === 0;
  writeAnswer(
    join(dir, 'full-1.json'),
    n,
    () => true,
    () => false,
  );
  writeAnswer(join(dir, 'delta.json'), n, runs, runs);
  writeAnswer(join(dir, 'full-2.json'), n, () => true, runs);
  const script = `#!/bin/sh\ncase "$*" in\n  *"EnteredCurrentStatus >="*) exec cat "${dir}/delta.json" ;;\n  *) exec cat "${dir}/current.json" ;;\nesac\n`;
  writeFileSync(join(dir, 'condor_q'), script);
  chmodSync(join(dir, 'condor_q'), 0o755);
}

const MiB = (b: number) => (b / 1024 / 1024).toFixed(0);

function report(step: string, changes: number, memory: Record<string, number>): void {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const peak = process.resourceUsage().maxRSS * 1024;
  const held = `queue=${memory.queue} identities=${memory.identities}`;
  console.log(
    `${step.padEnd(20)} | ${MiB(m.heapUsed).padStart(8)} | ${MiB(m.external).padStart(12)} | ${MiB(m.rss).padStart(7)} | ${MiB(peak).padStart(12)} | ${String(changes).padStart(7)} | ${held}`,
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const snapAt = args.indexOf('--heap-snapshot');
  const snapDir = snapAt >= 0 ? args[snapAt + 1] : undefined;
  const n = Number(args.find((a, i) => /^\d+$/.test(a) && (snapAt < 0 || i !== snapAt + 1)) ?? 100_000);
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('run with node --expose-gc');
  const dir = mkdtempSync(join(tmpdir(), 'tracker-memory-'));
  try {
    standIn(dir, n);
    const clock = new ManualClock(QDATE * 1000);
    let changes = 0;
    const tracker = new JobTracker(new ScheddClient(new CondorCli({ binDir: dir })), {
      operatorId: 'bench',
      clock,
      log: pino({ level: 'silent' }),
      onChange: () => changes++,
    });
    console.log(
      `JobTracker, one HPCJobSet of ${n} indices (stand-in condor_q printing recorded-format answers)\n`,
    );
    console.log('step                 | heap MiB | external MiB | RSS MiB | peak RSS MiB | changes | held');
    report('before', 0, tracker.memory());
    const read = async (step: string, answer: string | undefined, advanceMs: number) => {
      if (answer) copyFileSync(join(dir, answer), join(dir, 'current.json'));
      clock.advance(advanceMs);
      changes = 0;
      await tracker.pollNow();
      if (!tracker.reachable) throw new Error(`the read failed: ${tracker.lastError}`);
      report(step, changes, tracker.memory());
    };
    await read('first whole read', 'full-1.json', 0);
    await read('delta read', undefined, 1000);
    await read('second whole read', 'full-2.json', 31_000);
    if (snapDir)
      console.log(`\nheap snapshot: ${writeHeapSnapshot(join(snapDir, `tracker-${n}.heapsnapshot`))}`);
    const found = tracker.inQueue(SET_UID).length;
    if (found !== n) throw new Error(`the tracker holds ${found} of the set's ${n} jobs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
