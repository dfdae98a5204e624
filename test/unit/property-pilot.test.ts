/**
 * Property test of the pilot batch-script builder (src/sites/pilot.ts) with real shells: for arbitrary
 * strings in every string option and arbitrary numbers, either pilotScript refuses with one of its documented
 * errors, and the input really holds what the error names, or the script is valid sh (dash, bash, busybox),
 * its directive block is exactly the adapter's, and run with its side effects replaced (as nobody when root)
 * every value reaches the shell byte for byte: the pilot directory's mktemp template, the setup snippet, condor_master's path,
 * the module or bundle, the token path and the environment condor_master would get. Payloads try to touch
 * a canary file, which must never appear. Seeded (FC_SEED overrides); fast-check prints seed and path.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_SYSTEMS } from '../../src/crds/virtualcluster.js';
import { adapterFor } from '../../src/sites/batch.js';
import {
  GPU_DISCOVERY_OPTIONS,
  pilotLifetimeSeconds,
  pilotScript,
  WALLTIME_START,
  type CondorSource,
  type PilotOptions,
} from '../../src/sites/pilot.js';
import { SHELLS, runPilot, sandbox, syntaxCheck } from '../fixtures/hostile/harness.js';
import { hostileUnit } from '../fixtures/hostile/units.js';

const SEED = Number(process.env.FC_SEED ?? 20261125);
const RUNS = Number(process.env.FC_RUNS ?? 60);
const CANARY = join(sandbox('hpcop-canary-'), 'pwned');

const unit = hostileUnit([
  '#SBATCH --uid=0',
  '\n#PBS -l x',
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `;touch ${CANARY};`,
  '\0',
]);
/** Text without the line breaks and NUL the builder refuses outright; and text with anything. */
const cleanText = fc.string({ unit: unit.filter((u) => !/[\n\r\0]/.test(u)), maxLength: 8 });
const anyText = fc.oneof(
  { weight: 6, arbitrary: cleanText },
  { weight: 1, arbitrary: fc.string({ unit, maxLength: 8 }) },
);
/** A directive word: what the CRD's patterns allow; and in hostile records, sometimes anything. */
const WORD = /^[A-Za-z0-9_.@%+=:,/-]+$/;
const cleanWord = fc.string({
  unit: fc.constantFrom(...'aZ09_.@%+=:,/-'.split('')),
  minLength: 1,
  maxLength: 8,
});
/** A GPU model name or condor_gpu_discovery option word as the CRD and the flag allow them. */
const gpuName = fc
  .string({ unit: fc.constantFrom(...'aZ09_.-'.split('')), minLength: 1, maxLength: 8 })
  .map((w) => `a${w}`);
/** The shared token path of pilot options built here (they all share one token). */
const sharedToken = (o: PilotOptions): string => ('shared' in o.token ? o.token.shared : o.token.own);

const anyWord = fc.oneof({ weight: 3, arbitrary: cleanWord }, { weight: 1, arbitrary: anyText });
const pathOf = (text: fc.Arbitrary<string>) =>
  fc.oneof(
    text,
    text.map((t) => `~/${t}`),
    text.map((t) => `/${t}`),
  );
/** Counts and seconds: sane; and in hostile records, sometimes not a whole number in range. */
const cleanCount = (min: number) => fc.integer({ min, max: 100_000 });
const anyCount = (min: number) =>
  fc.oneof(
    { weight: 12, arbitrary: cleanCount(min) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1e30, -1, 0, 2 ** 31, NaN)) },
  );

/**
 * Half the records are hostile in every field (most of those are refused), half only where a refusal is
 * not due (shell specials, unicode, payloads in setup), so that both branches are well exercised whatever
 * the seed: with every field drawn from the mixed generators, one refusal somewhere was too likely.
 */
const fields = (hostile: boolean) => {
  const text = hostile ? anyText : cleanText;
  const word = hostile ? anyWord : cleanWord;
  const path = pathOf(text);
  const count = hostile ? anyCount : cleanCount;
  return fc.record({
    batchSystem: fc.constantFrom(...BATCH_SYSTEMS),
    name: word,
    account: fc.option(word, { nil: undefined }),
    queue: fc.option(word, { nil: undefined }),
    logDir: word,
    walltimeSeconds: count(1),
    // One node: a pilot of several starts its node part through the site's launcher (srun, pbsdsh, ...), which
    // this harness has not; src/sites/pilot-nodes.test.ts runs those. Bad counts are still refused.
    nodes: count(1).filter((n) => !(Number.isSafeInteger(n) && n > 1)),
    cores: count(1),
    memoryMiB: count(1),
    virtualCluster: text,
    allocation: text,
    collectorHost: text,
    trustDomain: text,
    tokenPath: path,
    condor: fc.oneof(
      path.map((sbinDir): CondorSource => ({ source: 'path', sbinDir })),
      text.map((module): CondorSource => ({ source: 'module', module })),
      path.map((tarball): CondorSource => ({ source: 'bundle', tarball })),
    ),
    setup: fc.option(fc.string({ unit, maxLength: 30 }), { nil: undefined }),
    idleShutdownSeconds: count(0),
    scratchDir: fc.option(path, { nil: undefined }),
    containerRuntime: fc.option(text, { nil: undefined }),
    gpus: fc.option(count(0), { nil: undefined }),
    // Clean records: a plain model name, kept only where the batch system can name one (options below).
    gpuType: fc.option(hostile ? word : gpuName, { nil: undefined }),
    gpuDiscoveryExtra: fc.option(
      hostile
        ? fc.oneof(
            text,
            word.map((w) => `-${w}`),
          )
        : gpuName.map((w) => `-${w}`),
      {
        nil: undefined,
      },
    ),
    hostile: fc.constant(hostile),
  });
};

const options: fc.Arbitrary<PilotOptions> = fc.oneof(fields(true), fields(false)).map((r) => ({
  adapter: adapterFor(r.batchSystem),
  request: {
    name: r.name,
    account: r.account,
    queue: r.queue,
    walltimeSeconds: r.walltimeSeconds,
    nodes: r.nodes,
    cores: r.cores,
    memoryMiB: r.memoryMiB,
    logDir: r.logDir,
    gpus: r.gpus,
    gpuType: r.hostile || ['slurm', 'lsf'].includes(r.batchSystem) ? r.gpuType : undefined,
  },
  virtualCluster: r.virtualCluster,
  allocation: r.allocation,
  collectorHost: r.collectorHost,
  trustDomain: r.trustDomain,
  token: { shared: r.tokenPath },
  condor: r.condor,
  setup: r.setup,
  idleShutdownSeconds: r.idleShutdownSeconds,
  scratchDir: r.scratchDir,
  containerRuntime: r.containerRuntime,
  gpus: r.gpus,
  gpuDiscoveryExtra: r.gpuDiscoveryExtra,
}));

/** The refusals the input justifies, by the rules pilot.ts, batch.ts and shell.ts state. */
function refusals(o: PilotOptions): RegExp[] {
  const out: RegExp[] = [];
  const r = o.request;
  // An empty account or queue means none (no directive); name and logDir are always written.
  for (const [field, v] of [
    ['name', r.name],
    ['logDir', r.logDir],
    ['account', r.account || undefined],
    ['queue', r.queue || undefined],
  ] as const)
    if (v !== undefined && !WORD.test(v))
      out.push(new RegExp(`^${field} .* has characters a batch directive cannot carry$`, 's'));
  const whole = (field: string, n: number, min: number) => {
    if (!Number.isSafeInteger(n) || n < min || n > 2 ** 31 - 1)
      out.push(new RegExp(`^pilot ${field} must be a whole number`));
  };
  whole('walltimeSeconds', r.walltimeSeconds, 1);
  whole('nodes', r.nodes, 1);
  whole('cores', r.cores, 1);
  whole('memoryMiB', r.memoryMiB, 1);
  whole('idleShutdownSeconds', o.idleShutdownSeconds, 0);
  if (r.gpus !== undefined) whole('request.gpus', r.gpus, 0);
  if (o.gpus !== undefined) whole('gpus', o.gpus, 0);
  if (o.gpuDiscoveryExtra !== undefined && !GPU_DISCOVERY_OPTIONS.test(o.gpuDiscoveryExtra))
    out.push(/^pilot gpuDiscoveryExtra .* is not a list of -options$/s);
  // A GPU model only where the batch system has a way to name one, and only as a plain name.
  if (r.gpus && r.gpuType !== undefined) {
    if (!['slurm', 'lsf'].includes(o.adapter.name)) out.push(/^gpuType cannot be asked of /);
    else if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(r.gpuType))
      out.push(/^gpuType .* has characters a GPU request cannot carry$/s);
  }
  const c = o.condor;
  const quoted = [o.collectorHost, o.trustDomain, sharedToken(o), o.scratchDir, o.containerRuntime];
  quoted.push(c.source === 'path' ? c.sbinDir : c.source === 'module' ? c.module : c.tarball);
  if ([...quoted, r.name].some((v) => v?.includes('\0')))
    out.push(/a shell word cannot contain a NUL character/);
  if ([...quoted, o.virtualCluster, o.allocation].some((v) => v !== undefined && /[\n\r]/.test(v)))
    out.push(/^pilot [\w.]+ must not contain a line break$/);
  return out;
}

/** A site path as the script's shell sees it (HOME set by runPilot). */
const onSite = (p: string, home: string) =>
  p === '~' ? home : p.startsWith('~/') ? `${home}/${p.slice(2)}` : p;

describe('pilotScript with arbitrary values', () => {
  it('refuses with a documented, justified error, or every value reaches the shell as data', () => {
    let ran = 0;
    let refused = 0;
    fc.assert(
      fc.property(options, fc.constantFrom(...SHELLS), (o, shell) => {
        const why = refusals(o);
        let script: string | undefined;
        let error: unknown;
        try {
          script = pilotScript(o);
        } catch (e) {
          error = e;
        }
        if (why.length > 0) {
          const message = (error as Error | undefined)?.message ?? 'no error';
          expect([message, why.some((re) => re.test(message))]).toEqual([message, true]);
          refused++;
          return;
        }
        expect(error).toBeUndefined();
        const s = script as string;
        const box = sandbox('hpcop-prop-pilot-');
        for (const sh of SHELLS)
          expect([sh[0], syntaxCheck(s, sh, box)]).toEqual([sh[0], { status: 0, stderr: '' }]);
        // The directives are the adapter's, and no other line of the script is one.
        const directives = o.adapter.directives(o.request);
        const lines = s.split('\n');
        expect(lines.slice(1, 1 + directives.length)).toEqual(directives);
        expect(lines.filter((l) => /^#(SBATCH|PBS|BSUB|\$) /.test(l))).toEqual(directives);

        const run = runPilot(s, shell, box);
        expect([run.status, run.stderr]).toEqual([0, '']);
        const home = String(run.env.get('HOME'));
        const str = (f: string) => run.out[f]?.toString('utf8');
        // An empty scratchDir means the default, as unset does (the CRD's pattern never lets one through).
        const scratch = o.scratchDir ? onSite(o.scratchDir, home) : String(run.env.get('TMPDIR'));
        // The pilot directory: mktemp's template below the scratch directory (the harness records it).
        expect(str('D')).toBe(`${scratch}/hpcop-pilot-${o.request.name}-XXXXXX`);
        expect(run.out.setup?.toString('hex')).toBe(
          o.setup ? Buffer.from(o.setup, 'utf8').toString('hex') : undefined,
        );
        expect(str('token')).toBe(onSite(sharedToken(o), home));
        if (o.condor.source === 'path')
          expect(str('master')).toBe(`${onSite(o.condor.sbinDir, home)}/condor_master`);
        if (o.condor.source === 'module') expect(str('module')).toBe(`load\0${o.condor.module}\0`);
        if (o.condor.source === 'bundle')
          expect(str('tar')?.split('\0')[1]).toBe(onSite(o.condor.tarball, home));
        const want: Record<string, string> = {
          _CONDOR_CONDOR_HOST: o.collectorHost,
          _CONDOR_COLLECTOR_HOST: o.collectorHost,
          _CONDOR_TRUST_DOMAIN: o.trustDomain,
          _CONDOR_UID_DOMAIN: o.trustDomain,
          _CONDOR_VirtualCluster: JSON.stringify(o.virtualCluster),
          _CONDOR_HPCAllocation: JSON.stringify(o.allocation),
          _CONDOR_HPCPilot: JSON.stringify(o.request.name),
          _CONDOR_HPCContainerRuntime: JSON.stringify(o.containerRuntime ?? 'auto'),
          _CONDOR_START: `(TARGET.HPCVirtualCluster =?= ${JSON.stringify(o.virtualCluster)}) && ${WALLTIME_START}`,
          _CONDOR_NUM_CPUS: String(o.request.cores),
          _CONDOR_MEMORY: String(o.request.memoryMiB),
          _CONDOR_STARTD_NOCLAIM_SHUTDOWN: String(o.idleShutdownSeconds),
        };
        if (o.containerRuntime && o.containerRuntime !== 'auto')
          want._CONDOR_STARTER_JOB_ENVIRONMENT = `HPC_RUNTIME_ORDER=${o.containerRuntime}`;
        want._CONDOR_STARTD_DETECT_GPUS = o.gpus ? '-properties $(GPU_DISCOVERY_EXTRA)' : 'false';
        if (o.gpus && o.gpuDiscoveryExtra) want._CONDOR_GPU_DISCOVERY_EXTRA = o.gpuDiscoveryExtra;
        for (const [k, v] of Object.entries(want)) expect([k, run.env.get(k)]).toEqual([k, v]);
        expect(run.env.get('_CONDOR_MASTER_NAME')?.startsWith(`${o.request.name}-`)).toBe(true);
        // The pilot's end: the time the script ran plus its lifetime, in whole seconds.
        const end =
          Number(run.env.get('_CONDOR_HPCPilotEnd')) - pilotLifetimeSeconds(o.request.walltimeSeconds);
        expect(Math.abs(end - Date.now() / 1000)).toBeLessThan(120);
        expect(existsSync(CANARY)).toBe(false);
        ran++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Both branches were exercised: the property is not vacuous.
    expect(ran).toBeGreaterThan(RUNS / 5);
    expect(refused).toBeGreaterThan(RUNS / 5);
  });
});
