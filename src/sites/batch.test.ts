/**
 * Pilot adapters. SLURM's listing is output recorded from the local stack's SLURM 24.11; PBS Pro, Torque,
 * LSF and SGE cannot run here, so their parsers are checked against output in each tool's documented
 * format (test/fixtures/batch, RECORDED FROM THE DOCUMENTED FORMAT, not from a live system).
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adapterFor, hms, lsf, pbs, sge, slurm, torque, type PilotRequest } from './batch.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'batch');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const prefix = 'hp69d2c775-';
const mine = <T extends { name: string }>(jobs: T[]) => jobs.filter((j) => j.name.startsWith(prefix));

const request: PilotRequest = {
  name: 'hp69d2c775-7',
  account: 'phy123',
  queue: 'batch',
  walltimeSeconds: 5400,
  nodes: 1,
  cores: 4,
  memoryMiB: 8192,
  logDir: 'logs',
};

describe('SLURM (output recorded from the local stack)', () => {
  it('parses squeue and maps states', () => {
    expect(mine(slurm.parseList(fixture('slurm-squeue.txt'))).map((j) => [j.id, j.state])).toEqual([
      ['101', 'queued'],
      ['102', 'running'],
      ['103', 'done'],
      ['104', 'failed'],
      ['106', 'running'],
    ]);
  });

  it('reads sbatch --parsable, with or without a cluster', () => {
    expect(slurm.parseSubmit('4242\n')).toBe('4242');
    expect(slurm.parseSubmit('4242;cluster2\n')).toBe('4242');
    expect(() => slurm.parseSubmit('sbatch: error: Batch job submission failed')).toThrow(
      /unexpected sbatch/,
    );
  });

  it('writes the directives', () => {
    expect(slurm.directives(request)).toEqual([
      '#SBATCH --job-name=hp69d2c775-7',
      '#SBATCH --time=01:30:00',
      '#SBATCH --nodes=1',
      '#SBATCH --ntasks=1',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=8192M',
      '#SBATCH --output=logs/%x-%j.out',
      '#SBATCH --account=phy123',
      '#SBATCH --partition=batch',
    ]);
  });
});

describe('PBS Pro and Torque (RECORDED FROM THE DOCUMENTED qstat FORMAT)', () => {
  it('parses qstat -u of PBS Pro', () => {
    expect(mine(pbs.parseList(fixture('pbspro-qstat.txt'))).map((j) => [j.id, j.name, j.state])).toEqual([
      ['4101.pbs01', 'hp69d2c775-0', 'queued'],
      ['4102.pbs01', 'hp69d2c775-1', 'running'],
      ['4103.pbs01', 'hp69d2c775-2', 'done'],
    ]);
  });

  it('parses qstat -u of Torque', () => {
    expect(mine(torque.parseList(fixture('torque-qstat.txt'))).map((j) => [j.id, j.state])).toEqual([
      ['7001.torque-head', 'queued'],
      ['7002.torque-head', 'running'],
      ['7003.torque-head', 'done'],
    ]);
  });

  it('reads the job id qsub prints and writes each flavour of resource request', () => {
    expect(pbs.parseSubmit('4105.pbs01\n')).toBe('4105.pbs01');
    expect(torque.directives(request)).toContain('#PBS -l nodes=1:ppn=4');
    expect(pbs.directives(request)).toContain('#PBS -l select=1:ncpus=4:mem=8192mb');
    expect(pbs.directives(request)).toContain('#PBS -A phy123');
    expect(pbs.cancel(['1.a', '2.a'])).toEqual(['qdel', '1.a', '2.a']);
  });
});

describe('LSF (RECORDED FROM THE DOCUMENTED bjobs FORMAT)', () => {
  it('parses bjobs -a -w', () => {
    expect(mine(lsf.parseList(fixture('lsf-bjobs.txt'))).map((j) => [j.id, j.state])).toEqual([
      ['9001', 'queued'],
      ['9002', 'running'],
      ['9003', 'done'],
      ['9004', 'failed'],
    ]);
  });

  it('reads bsub output, treats "No job found" as empty, and writes the directives', () => {
    expect(lsf.parseSubmit('Job <9010> is submitted to queue <normal>.\n')).toBe('9010');
    expect(lsf.isEmptyListError?.('No unfinished job found\n')).toBe(true);
    expect(lsf.directives(request)).toEqual(
      expect.arrayContaining(['#BSUB -W 1:30', '#BSUB -n 4', '#BSUB -P phy123', '#BSUB -q batch']),
    );
    expect(lsf.submit('pilots/x.sh')).toEqual(['sh', '-c', 'bsub < pilots/x.sh']);
  });
});

describe('SGE (RECORDED FROM THE DOCUMENTED qstat -xml FORMAT)', () => {
  it('parses qstat -xml with the full job names', () => {
    expect(mine(sge.parseList(fixture('sge-qstat.xml'))).map((j) => [j.id, j.name, j.state])).toEqual([
      ['3301', 'hp69d2c775-1', 'running'],
      ['3302', 'hp69d2c775-2', 'queued'],
      ['3303', 'hp69d2c775-3', 'failed'],
    ]);
  });

  it('reads qsub -terse and the verbose form', () => {
    expect(sge.parseSubmit('3310\n')).toBe('3310');
    expect(sge.parseSubmit('Your job 3311 ("hp69d2c775-9") has been submitted\n')).toBe('3311');
    expect(sge.directives(request)).toEqual(
      expect.arrayContaining(['#$ -l h_rt=01:30:00', '#$ -pe smp 4', '#$ -cwd']),
    );
  });
});

describe('SGE (RECORDED FROM A LIVE SON OF GRID ENGINE 8.1.9, Debian gridengine packages)', () => {
  // Pilot scripts built by src/sites/pilot.ts, submitted with qsub -terse as the operator does (README.md).
  it('reads pending, running, deleting and error states as the operator counts them', () => {
    const states = (file: string) => mine(sge.parseList(fixture(file))).map((j) => [j.id, j.state]);
    expect(states('sge-live-qstat-pending.xml')).toEqual([
      ['1', 'queued'],
      ['2', 'queued'],
      ['3', 'queued'],
    ]);
    expect(states('sge-live-qstat-running.xml')).toEqual([
      ['1', 'running'],
      ['3', 'queued'],
      ['2', 'queued'],
    ]);
    // qdel of a running job: "dr" until the pilot has shut down; it is ending, not one of the workers.
    expect(states('sge-live-qstat-after-qdel.xml')).toEqual([
      ['1', 'done'],
      ['3', 'queued'],
      ['4', 'queued'],
    ]);
    // A job SGE could not start (its -o directory was missing) stays in Eqw until deleted.
    expect(states('sge-live-qstat-eqw.xml')).toEqual([['5', 'failed']]);
    expect(sge.parseList(fixture('sge-live-qstat-empty.xml'))).toEqual([]);
  });

  it('reads the job id from the real qsub -terse output', () => {
    expect(sge.parseSubmit('1\n')).toBe('1');
  });
});

describe('GPU requests', () => {
  const gpus = { ...request, gpus: 2 };

  it('SLURM: --gres=gpu[:type]:N per node (the local SLURM has no GRES; its e2e asks for none)', () => {
    expect(slurm.directives(gpus)).toContain('#SBATCH --gres=gpu:2');
    expect(slurm.directives({ ...gpus, gpuType: 'a100' })).toContain('#SBATCH --gres=gpu:a100:2');
    expect(slurm.directives(request).some((l) => l.includes('gres'))).toBe(false);
  });

  it('PBS Pro and Torque (DOCUMENTED-SYNTAX STAND-IN, no PBS here): ngpus in the select, gpus in nodes', () => {
    expect(pbs.directives(gpus)).toContain('#PBS -l select=1:ncpus=4:ngpus=2:mem=8192mb');
    expect(torque.directives(gpus)).toContain('#PBS -l nodes=1:ppn=4:gpus=2');
    expect(pbs.directives(request)).toContain('#PBS -l select=1:ncpus=4:mem=8192mb');
  });

  it('LSF (DOCUMENTED-SYNTAX STAND-IN, no LSF here): -gpu "num=N[:gmodel=TYPE]" per host', () => {
    expect(lsf.directives(gpus)).toContain('#BSUB -gpu "num=2"');
    expect(lsf.directives({ ...gpus, gpuType: 'TeslaV100_SXM2_32GB' })).toContain(
      '#BSUB -gpu "num=2:gmodel=TeslaV100_SXM2_32GB"',
    );
  });

  it('SGE: -l gpu=N, the consumable the site defines', () => {
    expect(sge.directives(gpus)).toContain('#$ -l gpu=2');
    expect(sge.directives(request).some((l) => l.includes('gpu'))).toBe(false);
  });

  it.each(['pbs', 'torque', 'sge'])('%s refuses a GPU model it has no documented way to ask for', (name) => {
    expect(() => adapterFor(name).directives({ ...gpus, gpuType: 'a100' })).toThrow(/choose the GPU model/);
  });

  it.each(['slurm', 'lsf'])(
    '%s refuses a GPU model that would add to the request or break the line',
    (name) => {
      for (const gpuType of ['a100:8,mps:100', 'a100" -R "x', 'a100\n#SBATCH --uid=0', '-a100', 'a 100'])
        expect(() => adapterFor(name).directives({ ...gpus, gpuType })).toThrow(/cannot carry/);
    },
  );
});

describe('all adapters', () => {
  it.each(['slurm', 'pbs', 'torque', 'lsf', 'sge'])(
    '%s refuses directive values that could break the script',
    (name) => {
      const a = adapterFor(name);
      expect(() => a.directives({ ...request, account: 'x\n#SBATCH --uid=0' })).toThrow(/cannot carry/);
      expect(() => a.directives({ ...request, queue: 'q; rm -rf ~' })).toThrow(/cannot carry/);
    },
  );

  it('formats walltimes', () => {
    expect(hms(5400)).toBe('01:30:00');
    expect(hms(30)).toBe('00:01:00');
    expect(hms(90061)).toBe('25:01:01');
  });

  it('has no adapter for an unknown batch system', () => {
    expect(() => adapterFor('htcondor')).toThrow(/no pilot adapter/);
  });

  it('writes commands that a shell reads back intact', () => {
    const argv = sge.list("o'brien");
    const out = execFileSync('/bin/sh', [
      '-c',
      `printf '[%s]' ${argv.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ')}`,
    ]).toString();
    expect(out).toBe("[qstat][-xml][-u][o'brien]");
  });
});

describe('pilots of several nodes (directives in each tool’s documented syntax)', () => {
  const two: PilotRequest = { ...request, nodes: 2, exclusive: true };

  it('SLURM: one task per node, whole nodes on request', () => {
    const d = slurm.directives(two);
    expect(d).toEqual(
      expect.arrayContaining(['#SBATCH --nodes=2', '#SBATCH --ntasks-per-node=1', '#SBATCH --exclusive']),
    );
    expect(d).not.toContain('#SBATCH --ntasks=1');
  });

  it('PBS Pro: one MPI process per chunk, each chunk on its own host, exclusively', () => {
    expect(pbs.directives(two)).toEqual(
      expect.arrayContaining([
        '#PBS -l select=2:ncpus=4:mpiprocs=1:mem=8192mb',
        '#PBS -l place=scatter:excl',
      ]),
    );
    expect(pbs.directives(request).some((l) => l.includes('place='))).toBe(false);
  });

  it('Torque: the whole job’s memory, node-exclusive with -n', () => {
    expect(torque.directives(two)).toEqual(
      expect.arrayContaining(['#PBS -l nodes=2:ppn=4', '#PBS -l mem=16384mb', '#PBS -n']),
    );
  });

  it('LSF: one share of cores per host, exclusive with -x', () => {
    expect(lsf.directives(two)).toEqual(
      expect.arrayContaining(['#BSUB -n 8', '#BSUB -R "span[ptile=4] rusage[mem=8192]"', '#BSUB -x']),
    );
  });

  it('SGE: the multi-host parallel environment for all the slots, and the exclusive complex', () => {
    const d = sge.directives(two);
    expect(d).toEqual(expect.arrayContaining(['#$ -pe mpi 8', '#$ -l exclusive=true']));
    expect(d).not.toContain('#$ -pe smp 4');
  });
});
