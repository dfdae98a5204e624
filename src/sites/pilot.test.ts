import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapterFor } from './batch.js';
import { masterUpdateIntervalSeconds, pilotScript, sitePath, type PilotOptions } from './pilot.js';

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
  token: { shared: '~/.hpcop/abc-site1/pilot.token' },
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
    expect(script).toContain(
      `export _CONDOR_START='(TARGET.HPCVirtualCluster =?= "ns/demo") && (time() < MY.HPCPilotEnd && (TARGET.HPCWalltimeNeeded =?= undefined || time() + TARGET.HPCWalltimeNeeded <= MY.HPCPilotEnd))'`,
    );
    // Its end: when the daemons shut down, 6 minutes before the walltime ends (a tenth, at most 10 minutes).
    expect(script).toContain('export _CONDOR_HPCPilotEnd=$(( $(date +%s) + 3240 ))');
    expect(script).toContain(
      "_CONDOR_STARTD_ATTRS='VirtualCluster HPCAllocation HPCPilot HPCContainerRuntime HPCPilotEnd'",
    );
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
        'trap \'rm -rf "$D"; [ -n "$HPCOP_OWN_TOKEN_DIR" ] && rm -rf "$HPCOP_OWN_TOKEN_DIR"\' EXIT',
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

  it('never removes a directory the submitter’s environment names with the token directory’s variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-pilot-'));
    const victim = join(dir, 'victim');
    mkdirSync(victim);
    const script = pilotScript({ ...base, condor: { source: 'path', sbinDir: '/nonexistent' } });
    writeFileSync(join(dir, 'p.sh'), script);
    const r = spawnSync('sh', [join(dir, 'p.sh')], {
      env: { PATH: '/usr/bin:/bin', TMPDIR: dir, HOME: dir, HPCOP_OWN_TOKEN_DIR: victim },
      encoding: 'utf8',
    });
    expect(r.stderr).toContain('no condor_master');
    expect(existsSync(victim)).toBe(true);
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

describe('pilot GPUs', () => {
  it("asks the batch system for them and lets the startd discover them, with the admin's extra options", () => {
    const s = pilotScript({
      ...base,
      request: { ...base.request, gpus: 2, gpuType: 'a100' },
      gpus: 2,
      gpuDiscoveryExtra: '-simulate:4,2',
    });
    expect(s).toContain('#SBATCH --gres=gpu:a100:2');
    expect(s).toContain("export _CONDOR_STARTD_DETECT_GPUS='-properties $(GPU_DISCOVERY_EXTRA)'");
    expect(s).toContain('export _CONDOR_GPU_DISCOVERY_EXTRA=-simulate:4,2');
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-pilot-'));
    writeFileSync(join(dir, 'p.sh'), s);
    expect(spawnSync('sh', ['-n', join(dir, 'p.sh')]).status).toBe(0);
  });

  it('discovers GPUs the batch system was not asked for (gpuRequest None: the nodes bring them)', () => {
    const s = pilotScript({ ...base, gpus: 2 });
    expect(s).not.toContain('--gres');
    expect(s).toContain("export _CONDOR_STARTD_DETECT_GPUS='-properties $(GPU_DISCOVERY_EXTRA)'");
    expect(s).not.toContain('GPU_DISCOVERY_EXTRA=');
  });

  it('turns discovery off for a pilot without GPUs, whatever the admin set', () => {
    const s = pilotScript({ ...base, gpuDiscoveryExtra: '-simulate:4,2' });
    expect(s).toContain('export _CONDOR_STARTD_DETECT_GPUS=false');
    expect(s).not.toContain('_CONDOR_GPU_DISCOVERY_EXTRA');
  });

  it('refuses discovery options HTCondor would expand or a line could not hold', () => {
    for (const gpuDiscoveryExtra of ['$(LIBEXEC)', '-simulate\n-x', 'simulate', '-a;reboot', '-a $(X)'])
      expect(() => pilotScript({ ...base, gpus: 1, gpuDiscoveryExtra })).toThrow(/not a list of -options/);
    expect(() => pilotScript({ ...base, gpus: 1.5 })).toThrow(/whole number/);
  });
});

/**
 * Runs a pilot script for real up to condor_master, which is a STUB that records the directory the pilot
 * gave it (its mode, what is in tokens.d) and exits 99 (a normal end). Before the script starts, a
 * "second user" makes the directory the pilot used to take, `$TMPDIR/hpcop-pilot-<name>-<pid>`, for the
 * very pid the script will have (`exec` keeps it), world-writable.
 */
function runPilotWithSquatter(o: Partial<PilotOptions>) {
  const dir = mkdtempSync(join(tmpdir(), 'hpcop-pilot-'));
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  mkdirSync(join(dir, '.hpcop/abc-site1'), { recursive: true });
  writeFileSync(join(dir, '.hpcop/abc-site1/pilot.token'), 'token');
  mkdirSync(join(dir, 'sbin'));
  const seen = join(dir, 'seen');
  writeFileSync(
    join(dir, 'sbin/condor_master'),
    `#!/bin/sh\n# STUB condor_master: records its local directory\n` +
      `{ printf '%s\\n' "$_CONDOR_LOCAL_DIR"; stat -c %a "$_CONDOR_LOCAL_DIR"; ls "$_CONDOR_LOCAL_DIR/tokens.d"; } > '${seen}'\nexit 99\n`,
  );
  chmodSync(join(dir, 'sbin/condor_master'), 0o755);
  writeFileSync(
    join(dir, 'p.sh'),
    pilotScript({ ...base, condor: { source: 'path', sbinDir: join(dir, 'sbin') }, ...o }),
  );
  const squat =
    'S="$TMPDIR/hpcop-pilot-$1-$$"; mkdir -p "$S" && chmod 777 "$S" && printf %s "$S" > "$HOME/squatter" && exec sh "$0"';
  const r = spawnSync('sh', ['-c', squat, join(dir, 'p.sh'), base.request.name], {
    env: { PATH: '/usr/bin:/bin', TMPDIR: tmp, HOME: dir },
    encoding: 'utf8',
  });
  const [local = '', mode = '', token = ''] = existsSync(seen) ? readFileSync(seen, 'utf8').split('\n') : [];
  const squatter = readFileSync(join(dir, 'squatter'), 'utf8');
  return { r, tmp, local, mode, token, squatter };
}

describe('the pilot scratch directory', () => {
  it('the pilot scratch directory at a predictable /tmp path: it is a new private one, never one made beforehand', () => {
    const run = runPilotWithSquatter({});
    expect([run.r.status, run.r.stderr]).toEqual([0, '']);
    // Before the fix the pilot took the squatter's directory, copied the pool token into it, then removed it.
    expect(run.local).not.toBe(run.squatter);
    expect(run.local.startsWith(`${run.tmp}/hpcop-pilot-${base.request.name}-`)).toBe(true);
    expect(run.mode).toBe('700');
    expect(run.token).toBe('pilot');
    // The pilot removes its own directory when it ends, and only its own.
    expect(existsSync(run.local)).toBe(false);
    expect(readdirSync(run.squatter)).toEqual([]);
  });

  it('is made under a configured scratchDir, which is created when missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-scratchdir-'));
    const run = runPilotWithSquatter({ scratchDir: join(dir, 'scratch/sub') });
    expect([run.r.status, run.r.stderr]).toEqual([0, '']);
    expect(run.local.startsWith(`${dir}/scratch/sub/hpcop-pilot-${base.request.name}-`)).toBe(true);
    expect(run.mode).toBe('700');
  });
});

describe('sitePath', () => {
  it('lets the site expand ~ and quotes the rest', () => {
    expect(sitePath('~/.hpcop/a b')).toBe(`"$HOME"/'.hpcop/a b'`);
    expect(sitePath('/scratch/x')).toBe('/scratch/x');
    expect(sitePath('/scratch/$(id)')).toBe(`'/scratch/$(id)'`);
  });
});

describe('masterUpdateIntervalSeconds', () => {
  it('lets the master see its shutdown within the margin: a third of it, at most the update interval, at least 5 s', () => {
    // 1h: a 6 min margin, so the usual minute.
    expect(masterUpdateIntervalSeconds(3600, 60)).toBe(60);
    // 3 min: an 18 s margin, so every 6 s (the master's default of 300 s outlived the pilot).
    expect(masterUpdateIntervalSeconds(180, 60)).toBe(6);
    expect(masterUpdateIntervalSeconds(90, 60)).toBe(5);
    expect(masterUpdateIntervalSeconds(3600, 60, 30)).toBe(10);
  });

  it('is in the script beside the update interval', () => {
    expect(pilotScript({ ...base, request: { ...base.request, walltimeSeconds: 180 } })).toContain(
      'export _CONDOR_MASTER_UPDATE_INTERVAL=6',
    );
  });
});
