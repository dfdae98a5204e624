/**
 * The job wrapper on its own, without HTCondor: the contract (argv, script, env, exit codes, the report),
 * shared-fs staging, and runtime detection with STUB binaries for the runtimes that cannot run on these
 * machines (apptainer, singularity, shifter, podman, docker): each stub records the exact command line it
 * was given. Every case runs under dash, bash and busybox sh.
 */
import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHELLS, b64, runWrapper, stubDir, words } from './wrapper-harness.js';

describe.each(SHELLS)('the job wrapper under %s', (...shell: string[]) => {
  it('runs argv exactly, passes the exit code through and reports it', () => {
    const r = runWrapper(shell, {
      HPC_ARGV: words(['printf', '[%s]\n', 'a b', "it's", '$(id)', 'tail\n']),
      HPC_ATTEMPT: '2',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("[a b]\n[it's]\n[$(id)]\n[tail\n]\n");
    expect(r.result).toMatchObject({ exitCode: 0, category: 'ok', runtime: 'none' });
  });

  it('runs a script with the user environment and reports a failure', () => {
    const r = runWrapper(shell, {
      HPC_SCRIPT: b64('echo "X=$X Y=$Y"\necho err >&2\nexit 3'),
      HPC_ENV: words(['X=one two', 'Y=$(not expanded)']),
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('X=one two Y=$(not expanded)\n');
    expect(r.stderr).toContain('err');
    expect(r.result).toMatchObject({ exitCode: 3, category: 'exit' });
  });

  it('takes dots between words as spaces (an HPCJobSet row of the submit description)', () => {
    const dotted = (items: string[]) => items.map(b64).join('.');
    const r = runWrapper(shell, {
      HPC_ARGV: dotted(['printf', '[%s][%s]\n', 'a.b c', '$(HPC_INDEX)']),
      HPC_ENV: dotted(['HPC_INDEX=7', 'HPC_ITEM_cut=pt > 20']),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('[a.b c][$(HPC_INDEX)]\n');
    const env = runWrapper(shell, {
      HPC_SCRIPT: b64('printf "%s|%s" "$HPC_INDEX" "$HPC_ITEM_cut"'),
      HPC_ENV: dotted(['HPC_INDEX=7', 'HPC_ITEM_cut=pt > 20']),
    });
    expect(env.stdout).toBe('7|pt > 20');
  });

  it('passes env values with newlines as data: no second variable, no broken step', () => {
    const r = runWrapper(shell, {
      HPC_SCRIPT: b64('printf "[%s][%s]" "$MULTI" "${LD_PRELOAD:-unset}"'),
      HPC_ENV: words(['MULTI=line one\nLD_PRELOAD=/evil.so\nlast=line']),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('[line one\nLD_PRELOAD=/evil.so\nlast=line][unset]');
    // A pair without a valid name is a broken contract, refused before anything runs.
    expect(runWrapper(shell, { HPC_ARGV: words(['true']), HPC_ENV: words(['BAD NAME=x']) }).code).toBe(120);
  });

  it('dies by the signal that killed the step', () => {
    const r = runWrapper(shell, { HPC_SCRIPT: b64('kill -TERM $$') });
    expect(r.signal).toBe('SIGTERM');
    expect(r.result).toMatchObject({ category: 'signal', signal: 15 });
  });

  it('refuses a broken contract with its own exit code', () => {
    expect(runWrapper(shell, {}).code).toBe(120);
    expect(runWrapper(shell, { HPC_ARGV: '!!notbase64!!' }).code).toBe(120);
  });

  it('with shared-fs staging runs in the workspace and leaves the logs and report in it', () => {
    const ws = mkdtempSync(join(tmpdir(), 'hpcop-ws-'));
    writeFileSync(join(ws, 'in.txt'), 'input');
    const r = runWrapper(shell, {
      HPC_JOB: 'ns/step1',
      HPC_ATTEMPT: '1',
      HPC_SCRIPT: b64('cat in.txt > out.txt; echo done'),
      HPC_WORKSPACE: b64(ws),
      HPC_STAGING: 'shared-fs',
    });
    expect(r.code).toBe(0);
    expect(readFileSync(join(ws, 'out.txt'), 'utf8')).toBe('input');
    expect(readFileSync(join(ws, '.hpc/step1/1/stdout'), 'utf8')).toBe('done\n');
    expect(JSON.parse(readFileSync(join(ws, '.hpc/step1/1/result.json'), 'utf8'))).toMatchObject({
      category: 'ok',
    });
  });

  it('fails stage-in with its own exit code and category when the staging tool is missing', () => {
    const r = runWrapper(shell, {
      HPC_ARGV: words(['true']),
      HPC_WORKSPACE: b64('/reana/users/u/workflows/w'),
      HPC_STAGING: 'chirp',
      HPC_CONDOR_CHIRP: '/nonexistent/condor_chirp',
    });
    expect(r.code).toBe(122);
    expect(r.result).toMatchObject({ category: 'stage-in' });
  });

  describe('runtime detection (STUB binaries)', () => {
    const image = b64('docker://ghcr.io/org/step:1.2');
    const base = { HPC_ARGV: words(['python', 'fit.py', '--n', '3']), HPC_IMAGE: image, HPC_RUNTIME: 'auto' };

    it('takes the first available runtime in the default order', () => {
      expect(runWrapper(shell, base, { stubs: ['singularity', 'podman', 'docker'] }).calls[0]?.[0]).toBe(
        'singularity',
      );
      expect(runWrapper(shell, base, { stubs: ['apptainer', 'singularity'] }).calls[0]?.[0]).toBe(
        'apptainer',
      );
      expect(runWrapper(shell, base, { stubs: ['podman', 'docker'] }).calls[0]?.[0]).toBe('podman');
      const r = runWrapper(shell, base, { stubs: ['docker'] });
      expect(r.calls[0]?.[0]).toBe('docker');
      expect(r.result).toMatchObject({ runtime: 'docker', category: 'ok' });
    });

    it('follows a site order and a forced choice', () => {
      expect(
        runWrapper(
          shell,
          { ...base, HPC_RUNTIME_ORDER: 'docker apptainer' },
          { stubs: ['apptainer', 'docker'] },
        ).calls[0]?.[0],
      ).toBe('docker');
      expect(
        runWrapper(shell, { ...base, HPC_RUNTIME: 'shifter' }, { stubs: ['apptainer', 'shifter'] })
          .calls[0]?.[0],
      ).toBe('shifter');
      const forcedMissing = runWrapper(shell, { ...base, HPC_RUNTIME: 'shifter' }, { stubs: ['apptainer'] });
      expect(forcedMissing.code).toBe(121);
      expect(forcedMissing.result).toMatchObject({ category: 'no-runtime' });
    });

    it('skips a runtime that cannot take the image (podman cannot run an unpacked directory)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'hpcop-img-'));
      const r = runWrapper(
        shell,
        { ...base, HPC_IMAGE: b64(`dir://${dir}`), HPC_RUNTIME_ORDER: 'podman apptainer' },
        { stubs: ['podman', 'apptainer'] },
      );
      expect(r.calls[0]?.[0]).toBe('apptainer');
      expect(r.calls[0]).toContain(dir);
    });

    it('reports no runtime with exit code 121', () => {
      const r = runWrapper(shell, base, { stubs: [] });
      expect(r.code).toBe(121);
      expect(r.result).toMatchObject({ category: 'no-runtime' });
    });

    it('loads a runtime with `module load` when it is not on PATH', () => {
      // A STUB module command whose "load apptainer" puts a STUB apptainer on PATH (a directory that is
      // already on PATH but empty, like a module's bin directory before loading).
      const scratchLog = mkdtempSync(join(tmpdir(), 'hpcop-mod-'));
      const later = join(scratchLog, 'modbin');
      mkdirSync(later);
      const moduleDir = stubDir([], join(scratchLog, 'unused.log'));
      writeFileSync(
        join(moduleDir, 'module'),
        `#!/bin/sh\n# STUB module\n[ "$1" = load ] || exit 1\nprintf '#!/bin/sh\\n{ printf "%%s\\\\0" "$(basename "$0")" "$@"; printf "\\\\n"; } >> "$_CONDOR_SCRATCH_DIR/stub-calls.log"\\n' > '${later}/'"$2"\nchmod +x '${later}/'"$2"\n`,
      );
      chmodSync(join(moduleDir, 'module'), 0o755);
      const r = runWrapper(shell, base, { path: [moduleDir, later] });
      expect(r.calls[0]?.[0]).toBe('apptainer');
      expect(r.result).toMatchObject({ runtime: 'apptainer' });
    });

    const wsPath = '/reana/users/0f0e/workflows/7a7b';
    const withWs = {
      ...base,
      HPC_WORKSPACE: b64(wsPath),
      HPC_STAGING: 'shared-fs',
      HPC_ENV: words(['MODE=fast lane']),
    };

    it('calls apptainer with the workspace bound at its own path, cache on scratch, env through APPTAINERENV_', () => {
      const r = runWrapper(shell, withWs, { stubs: ['apptainer'] });
      expect(r.calls[0]).toEqual([
        'apptainer',
        'exec',
        '--cleanenv',
        '--contain',
        '--pwd',
        wsPath,
        '--bind',
        `${wsPath}:${wsPath}`,
        'docker://ghcr.io/org/step:1.2',
        'python',
        'fit.py',
        '--n',
        '3',
      ]);
      // A STUB that prints its environment shows what the runtime receives.
      const envProbe = mkdtempSync(join(tmpdir(), 'hpcop-env-'));
      writeFileSync(
        join(envProbe, 'apptainer'),
        '#!/bin/sh\n# STUB apptainer: prints its environment\nenv\n',
      );
      chmodSync(join(envProbe, 'apptainer'), 0o755);
      const env = runWrapper(shell, withWs, { path: [envProbe] });
      expect(env.code).toBe(0);
      expect(env.stdout).toContain('APPTAINERENV_MODE=fast lane');
      expect(env.stdout).toMatch(/APPTAINER_CACHEDIR=.*\/\.hpc\/cache/);
      expect(env.stdout).not.toMatch(/^MODE=/m);
    });

    it('calls singularity, shifter, podman and docker with their own flags', () => {
      const sing = runWrapper(shell, { ...withWs, HPC_RUNTIME: 'singularity' }, { stubs: ['singularity'] });
      expect(sing.calls[0]?.slice(0, 4)).toEqual(['singularity', 'exec', '--cleanenv', '--contain']);
      const shifter = runWrapper(
        shell,
        { ...withWs, HPC_RUNTIME: 'shifter' },
        { stubs: ['shifter', 'shifterimg'] },
      );
      expect(shifter.calls).toContainEqual(['shifterimg', 'pull', 'docker:ghcr.io/org/step:1.2']);
      expect(shifter.calls.find((c) => c[0] === 'shifter')).toEqual([
        'shifter',
        '--image=docker:ghcr.io/org/step:1.2',
        `--volume=${wsPath}:${wsPath}`,
        `--workdir=${wsPath}`,
        '--',
        'python',
        'fit.py',
        '--n',
        '3',
      ]);
      const podman = runWrapper(shell, { ...withWs, HPC_RUNTIME: 'podman' }, { stubs: ['podman'] });
      expect(podman.calls[0]).toEqual([
        'podman',
        `--root=${podman.scratch}/.hpc/podman/root`,
        `--runroot=${podman.scratch}/.hpc/podman/run`,
        'run',
        '--rm',
        '-e',
        'MODE',
        '-v',
        `${wsPath}:${wsPath}`,
        '-w',
        wsPath,
        'ghcr.io/org/step:1.2',
        'python',
        'fit.py',
        '--n',
        '3',
      ]);
      const docker = runWrapper(shell, { ...withWs, HPC_RUNTIME: 'docker' }, { stubs: ['docker'] });
      expect(docker.calls[0]?.slice(0, 8)).toEqual([
        'docker',
        'run',
        '--rm',
        '-e',
        'MODE',
        '-v',
        `${wsPath}:${wsPath}`,
        '-w',
      ]);
    });

    it('runs the step under parrot_run with the workspace mounted from the chirp IO proxy', () => {
      const cfg = join(mkdtempSync(join(tmpdir(), 'hpcop-chirpcfg-')), '.chirp.config');
      writeFileSync(cfg, '127.0.0.1 9999 cookie\n');
      const r = runWrapper(
        shell,
        {
          ...base,
          HPC_IMAGE: '',
          HPC_WORKSPACE: b64(wsPath),
          HPC_STAGING: 'parrot',
          _CONDOR_CHIRP_CONFIG: cfg,
        },
        { stubs: ['parrot_run'] },
      );
      expect(r.calls[0]).toEqual([
        'parrot_run',
        '-M',
        `${wsPath}=/chirp/CONDOR${wsPath}`,
        '-w',
        wsPath,
        'python',
        'fit.py',
        '--n',
        '3',
      ]);
      const missing = runWrapper(shell, {
        ...base,
        HPC_IMAGE: '',
        HPC_WORKSPACE: b64(wsPath),
        HPC_STAGING: 'parrot',
        _CONDOR_CHIRP_CONFIG: cfg,
      });
      expect(missing.code).toBe(122);
    });

    it('puts the site launcher in front (Cray aprun, srun)', () => {
      const r = runWrapper(shell, { ...base, HPC_LAUNCHER: 'srun -n 1' }, { stubs: ['srun', 'apptainer'] });
      expect(r.calls[0]?.slice(0, 5)).toEqual(['srun', '-n', '1', 'apptainer', 'exec']);
    });
  });
});
