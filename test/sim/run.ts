/**
 * The simulation's command line.
 *
 *   node --import tsx test/sim/run.ts --seeds 10000 [--from 1] [--workers N]   hunt: run seeds from..from+N-1
 *   node --import tsx test/sim/run.ts --seed 1234 --trace                        replay one seed with its full trace
 *   ... --no-vc                   plans without VirtualClusters (an operator without their controller)
 *   ... --minted                  every VirtualCluster mints per-pilot tokens (spec.pool.pilotTokens)
 *   ... --ignore a,b              count violations of these invariants instead of failing (hunting past a
 *                                 known problem)
 *
 * A hunt spreads chunks of seeds over worker threads (one per core by default), prints each failing seed with
 * the end of its trace and the command that replays it, a coverage summary, and exits 1 on any failure.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  describeFailure,
  emptyTally,
  merge,
  replayCommand,
  runSeed,
  type HuntOptions,
  type Tally,
} from './hunt.js';

const CHUNK = 50;

interface Args {
  seeds: number;
  from: number;
  seed?: number;
  trace: boolean;
  workers: number;
  hunt: HuntOptions;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seeds: 10_000, from: 1, trace: false, workers: availableParallelism(), hunt: {} };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} needs a non-negative integer`);
      return v;
    };
    if (flag === '--seeds') a.seeds = value();
    else if (flag === '--from') a.from = value();
    else if (flag === '--seed') a.seed = value();
    else if (flag === '--workers') a.workers = Math.max(1, value());
    else if (flag === '--trace') a.trace = true;
    else if (flag === '--no-vc') a.hunt.noVc = true;
    else if (flag === '--minted') a.hunt.minted = true;
    else if (flag === '--ignore') a.hunt.ignore = (argv[++i] ?? '').split(',').filter(Boolean);
    else throw new Error(`unknown argument ${flag} (see the header of test/sim/run.ts)`);
  }
  return a;
}

async function replay(seed: number, trace: boolean, h: HuntOptions): Promise<number> {
  const r = await runSeed(seed, {
    traceAll: trace,
    noVc: h.noVc,
    minted: h.minted,
    ignore: h.ignore,
  });
  if (trace) console.log(r.trace);
  const verdict = r.violation ? `VIOLATION ${r.violation.invariant}: ${r.violation.message}` : 'ok';
  console.log(
    `seed ${seed}: ${verdict} (${r.steps} steps, ${Math.round(r.virtualMs / 60_000)} virtual minutes)`,
  );
  if (r.violation && !trace) console.log(`replay with the full trace: ${replayCommand(seed, h)}`);
  return r.violation ? 1 : 0;
}

function hunt(a: Args): Promise<Tally> {
  const total = emptyTally();
  let next = a.from;
  const end = a.from + a.seeds;
  const workers = Math.min(a.workers, Math.ceil(a.seeds / CHUNK));
  return new Promise((resolve, reject) => {
    let busy = 0;
    for (let i = 0; i < workers; i++) {
      const w = startWorker();
      const feed = (): void => {
        if (next >= end) return void w.postMessage('exit');
        const count = Math.min(CHUNK, end - next);
        w.postMessage({ from: next, count, hunt: a.hunt });
        next += count;
        busy++;
      };
      w.on('message', (t: Tally) => {
        busy--;
        merge(total, t);
        for (const f of t.failures) console.log(`\n${describeFailure(f, a.hunt)}`);
        feed();
        if (busy === 0 && next >= end) resolve(total);
      });
      w.on('error', reject);
      feed();
    }
  });
}

/**
 * A worker thread running worker.ts: tsx's loader is registered in the thread first (Node 20 does not pass
 * the parent's --import hooks on to workers).
 */
function startWorker(): Worker {
  const url = new URL('./worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { eval: true });
}

function summary(t: Tally, wallMs: number, a: Args): string {
  const counts = Object.entries(t.counts)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([k, v]) => `  ${k}: ${v}`);
  return [
    `${t.ran} schedules (seeds ${a.from}..${a.from + a.seeds - 1}${a.hunt.noVc ? ', no VirtualClusters' : ''}${a.hunt.minted ? ', every VirtualCluster minting' : ''}) in ${(wallMs / 1000).toFixed(1)} s: ${((t.ran * 1000) / wallMs).toFixed(0)} schedules/s on ${a.workers} workers`,
    `${t.steps} events, ${Math.round(t.virtualMs / 3_600_000)} virtual hours, longest wait for a covering HTCondor call ${Math.round(t.worstTrackingGapMs / 1000)} s`,
    'coverage:',
    ...counts,
    t.failures.length
      ? `${t.failures.length} FAILING seeds: ${t.failures.map((f) => f.seed).join(' ')}`
      : 'no invariant violated',
  ].join('\n');
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  if (a.seed !== undefined) return replay(a.seed, a.trace, a.hunt);
  const t0 = performance.now();
  const t = await hunt(a);
  console.log(summary(t, performance.now() - t0, a));
  return t.failures.length ? 1 : 0;
}

process.exitCode = await main();
