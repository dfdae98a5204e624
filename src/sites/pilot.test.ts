import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapterFor } from './batch.js';
import { pilotScript, sitePath, type PilotOptions } from './pilot.js';

const base: PilotOptions = {
  adapter: adapterFor('slurm'),
  request: {
    name: 'hp69d2c775-3',
    walltimeSeconds: 3600,
    nodes: 1,
    cores: 2,
    memoryMiB: 2048,
    logDir: 'logs',
  },
  virtualCluster: 'ns/demo',
  allocation: 'site1',
  collectorHost: 'cm.example.org:9618',
  trustDomain: 'pool.example.org',
  tokenPath: '~/.hpcop/abc-site1/pilot.token',
  condor: { source: 'path', sbinDir: '/usr/sbin' },
  idleShutdownSeconds: 300,
};

describe('pilotScript', () => {
  it('is a valid sh script with the directives first', () => {
    const script = pilotScript(base);
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-pilot-'));
    writeFileSync(join(dir, 'p.sh'), script);
    expect(spawnSync('sh', ['-n', join(dir, 'p.sh')]).status).toBe(0);
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/sh');
    expect(lines[1]).toBe('#SBATCH --job-name=hp69d2c775-3');
    expect(script).toContain(`export _CONDOR_VirtualCluster='"ns/demo"'`);
    expect(script).toContain(`export _CONDOR_START='(TARGET.HPCVirtualCluster =?= "ns/demo")'`);
    expect(script).toContain('export _CONDOR_STARTD_NOCLAIM_SHUTDOWN=300');
    expect(script).toContain("export _CONDOR_DAEMON_SHUTDOWN='(time() - DaemonStartTime) > 3240'");
    expect(script).toContain(`cp "$HOME"/.hpcop/abc-site1/pilot.token "$D/tokens.d/pilot"`);
  });

  it('embeds the setup snippet so that it runs as written and cannot break the script', () => {
    const setup = 'echo "it\'s $((1 + 1))" > "$D/setup.out"\n#SBATCH --uid=0\nmodule() { :; }\n';
    const script = pilotScript({ ...base, setup, condor: { source: 'path', sbinDir: '/nonexistent' } });
    // No user text outside the base64 word: the directive stays data.
    expect(script.split('\n').filter((l) => l.startsWith('#SBATCH'))).toHaveLength(7);
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-pilot-'));
    writeFileSync(
      join(dir, 'p.sh'),
      script.replace(
        'trap \'rm -rf "$D"\' EXIT',
        'cp_out() { cp "$D/setup.out" ' + dir + '/; }; trap cp_out EXIT',
      ),
    );
    const r = spawnSync('sh', [join(dir, 'p.sh')], {
      env: { PATH: '/usr/bin:/bin', TMPDIR: dir, HOME: dir },
      encoding: 'utf8',
    });
    expect(r.stderr).toContain('no condor_master at /nonexistent/condor_master');
    expect(execFileSync('cat', [join(dir, 'setup.out')]).toString()).toBe("it's 2\n");
  });

  it('finds HTCondor by module or in an uploaded bundle', () => {
    expect(pilotScript({ ...base, condor: { source: 'module', module: 'htcondor/23' } })).toContain(
      'module load htcondor/23 ||',
    );
    const bundle = pilotScript({
      ...base,
      condor: { source: 'bundle', tarball: '~/.hpcop/x/condor-abc.tar.gz' },
    });
    expect(bundle).toContain(
      'tar -xzf "$HOME"/.hpcop/x/condor-abc.tar.gz -C "$D/release" --strip-components=1',
    );
    expect(bundle).toContain('MASTER="$D/release/sbin/condor_master"');
  });

  it('passes the runtime hint to the jobs and quotes every value', () => {
    const s = pilotScript({ ...base, containerRuntime: 'apptainer', virtualCluster: "ns/it's" });
    expect(s).toContain('export _CONDOR_STARTER_JOB_ENVIRONMENT=HPC_RUNTIME_ORDER=apptainer');
    expect(s).toContain(`export _CONDOR_VirtualCluster='"ns/it'\\''s"'`);
  });
});

describe('sitePath', () => {
  it('lets the site expand ~ and quotes the rest', () => {
    expect(sitePath('~/.hpcop/a b')).toBe(`"$HOME"/'.hpcop/a b'`);
    expect(sitePath('/scratch/x')).toBe('/scratch/x');
    expect(sitePath('/scratch/$(id)')).toBe(`'/scratch/$(id)'`);
  });
});
