/**
 * Multi-node pilot scripts. SLURM's runs for real in test/e2e/multinode.e2e.test.ts; PBS, Torque, LSF and SGE
 * cannot run here, so their launch loops run with stand-in launchers that do what the tools' manuals say
 * (pbsdsh -n <k> -- prog args: prog on the k-th PBS_NODEFILE line; blaunch -z <host> <command> and
 * qrsh -inherit <host> <command>: the command through a shell on the host), and a stand-in condor_master
 * that records how each node configured it.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapterFor } from './batch.js';
import { pilotScript, type PilotOptions } from './pilot.js';

const options = (batch: string, patch: Partial<PilotOptions> = {}): PilotOptions => ({
  adapter: adapterFor(batch),
  request: {
    name: 'hp69d2c775-3',
    walltimeSeconds: 3600,
    nodes: 2,
    cores: 4,
    memoryMiB: 2048,
    logDir: 'logs',
  },
  virtualCluster: 'ns/gang',
  allocation: 'site1',
  collectorHost: 'cm.example.org:9618',
  trustDomain: 'pool.example.org',
  token: { shared: '~/.hpcop/abc-site1/pilot.token' },
  condor: { source: 'path', sbinDir: '/usr/sbin' },
  idleShutdownSeconds: 300,
  updateIntervalSeconds: 5,
  dedicatedScheduler: 'schedd@cm.example.org',
  ...patch,
});

/** The node part a multi-node script carries, decoded. */
function nodePart(script: string): string {
  const b64 = /printf %s ([A-Za-z0-9+/=]+) \| base64 -d/.exec(script)?.[1];
  if (!b64) throw new Error('no node part in the script');
  return Buffer.from(b64, 'base64').toString('utf8');
}

const shOk = (text: string) => spawnSync('sh', ['-n'], { input: text }).status === 0;

describe('a multi-node SLURM pilot', () => {
  const script = pilotScript(options('slurm'));
  const part = nodePart(script);

  it('asks for one task per node and starts the node part on each with srun', () => {
    expect(shOk(script) && shOk(part)).toBe(true);
    expect(script).toContain('#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=1\n#SBATCH --cpus-per-task=4');
    expect(script).toMatch(
      /^srun --nodes="\$SLURM_NNODES" --ntasks-per-node=1 \/bin\/sh -c 'printf %s \S+ \| base64 -d \| \/bin\/sh -s -- "\$SLURM_NODEID"' &$/m,
    );
    // Nothing of the startd's configuration is outside the node part.
    expect(script).not.toContain('_CONDOR_');
  });

  it('names each node, groups them for the dedicated scheduler and hands the allocation to gang steps', () => {
    expect(part).toContain('export _CONDOR_MASTER_NAME=hp69d2c775-3-"$J"-n"$I"');
    expect(part).toContain('export _CONDOR_ParallelSchedulingGroup="\\"hp69d2c775-3-$J\\""');
    expect(part).toContain(`export _CONDOR_DedicatedScheduler='"DedicatedScheduler@schedd@cm.example.org"'`);
    expect(part).toContain("export _CONDOR_CLAIM_WORKLIFE='ifThenElse(CurrentRank =?= 1.0, 0, 1200)'");
    expect(part).toContain(
      'HPCPilotNode HPCPilotNodes HPCBatchJobId ParallelSchedulingGroup DedicatedScheduler',
    );
    expect(part).toContain('SLURM_JOB_ID=$SLURM_JOB_ID SLURM_JOB_NODELIST=$SLURM_JOB_NODELIST');
    expect(part).toContain('SLURM_OVERLAP=1');
    // Idle shutdown is the whole pilot's (the watch), not each startd's.
    expect(part).not.toContain('STARTD_NOCLAIM_SHUTDOWN');
    expect(part).toContain('no step on any node for 300s');
  });

  it('leaves out the dedicated scheduler when the schedd is not known, and refuses a name that is not one', () => {
    expect(nodePart(pilotScript(options('slurm', { dedicatedScheduler: undefined })))).not.toContain(
      'DedicatedScheduler@',
    );
    expect(() => pilotScript(options('slurm', { dedicatedScheduler: 'x"; rm -rf ~' }))).toThrow(
      /is not a schedd name/,
    );
  });

  it('asks for whole nodes when exclusive', () => {
    const r = options('slurm').request;
    expect(pilotScript(options('slurm', { request: { ...r, exclusive: true } }))).toContain(
      '#SBATCH --exclusive',
    );
  });

  it('keeps a single-node pilot as it was: one startd, its own idle shutdown', () => {
    const single = pilotScript(options('slurm', { request: { ...options('slurm').request, nodes: 1 } }));
    expect(single).toContain('#SBATCH --ntasks=1');
    expect(single).toContain('export _CONDOR_STARTD_NOCLAIM_SHUTDOWN=300');
    expect(single).not.toContain('srun');
    expect(single).not.toContain('DedicatedScheduler');
  });
});

/** Stand-ins for the launchers, per their manuals, and for condor_master and condor_advertise. */
function standIns(dir: string): { bin: string; sbin: string; out: string } {
  const bin = join(dir, 'bin');
  const sbin = join(dir, 'sbin');
  const out = join(dir, 'out');
  for (const d of [bin, sbin, out]) mkdirSync(d);
  const tool = (path: string, body: string) => {
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
  };
  tool(join(bin, 'pbsdsh'), '[ "$1" = -n ] && [ "$3" = -- ] || exit 2; shift 3; exec "$@"');
  tool(join(bin, 'blaunch'), '[ "$1" = -z ] || exit 2; exec sh -c "$3"');
  tool(join(bin, 'qrsh'), '[ "$1" = -inherit ] && [ "$2" = -nostdin ] || exit 2; exec sh -c "$4"');
  tool(
    join(sbin, 'condor_master'),
    'env | grep -E "^_CONDOR_(MASTER_NAME|HPCPilotNode|HPCBatchJobId|ParallelSchedulingGroup)=" | sort >"$OUT/$_CONDOR_MASTER_NAME.env"; exit 99',
  );
  tool(join(sbin, 'condor_advertise'), 'echo "$1" >>"$OUT/withdrawn"');
  return { bin, sbin, out };
}

describe('multi-node pilots elsewhere (stand-in launchers following the documented pbsdsh, blaunch and qrsh -inherit usage; not runnable here)', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['pbs', { PBS_JOBID: '77.pbs', PBS_NODEFILE: 'nodefile' }, 'node-a\nnode-b\n'],
    ['torque', { PBS_JOBID: '77.pbs', PBS_NODEFILE: 'nodefile' }, 'node-a\nnode-a\nnode-b\nnode-b\n'],
    ['lsf', { LSB_JOBID: '77', LSB_HOSTS: 'node-a node-a node-b node-b' }, ''],
    [
      'sge',
      { JOB_ID: '77', PE_HOSTFILE: 'nodefile' },
      'node-a 4 all.q@node-a UNDEFINED\nnode-b 4 all.q@node-b UNDEFINED\n',
    ],
  ];
  it.each(cases)(
    '%s: each node starts its own master, with its index, and withdraws its slots',
    (batch, env, hosts) => {
      const dir = mkdtempSync(join(tmpdir(), `hpcop-nodes-${batch}-`));
      const s = standIns(dir);
      writeFileSync(join(dir, 'pilot.token'), 'token');
      if (hosts) writeFileSync(join(dir, 'nodefile'), hosts);
      const script = pilotScript(
        options(batch, {
          token: { shared: join(dir, 'pilot.token') },
          condor: { source: 'path', sbinDir: s.sbin },
          scratchDir: join(dir, 'scratch'),
        }),
      );
      writeFileSync(join(dir, 'pilot.sh'), script);
      const vars = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v === 'nodefile' ? join(dir, v) : v]),
      );
      const r = spawnSync('sh', [join(dir, 'pilot.sh')], {
        env: { PATH: `${s.bin}:/usr/bin:/bin`, HOME: dir, OUT: s.out, ...vars },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).toBe(0);
      const id = env.PBS_JOBID ?? env.LSB_JOBID ?? env.JOB_ID;
      expect(readdirSync(s.out).sort()).toEqual([
        `hp69d2c775-3-${id}-n0.env`,
        `hp69d2c775-3-${id}-n1.env`,
        'withdrawn',
      ]);
      expect(readFileSync(join(s.out, `hp69d2c775-3-${id}-n1.env`), 'utf8')).toBe(
        [
          `_CONDOR_HPCBatchJobId="${id}"`,
          '_CONDOR_HPCPilotNode=1',
          `_CONDOR_MASTER_NAME=hp69d2c775-3-${id}-n1`,
          `_CONDOR_ParallelSchedulingGroup="hp69d2c775-3-${id}"`,
          '',
        ].join('\n'),
      );
      expect(readFileSync(join(s.out, 'withdrawn'), 'utf8')).toBe(
        'INVALIDATE_STARTD_ADS\nINVALIDATE_STARTD_ADS\n',
      );
      // Each node's private directory went with it.
      expect(readdirSync(join(dir, 'scratch'))).toEqual([]);
    },
  );
});
