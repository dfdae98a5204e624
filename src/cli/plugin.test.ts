/**
 * The krew-ready parts of kubectl-hpc that need no cluster: version, completion scripts (run by a real
 * bash), the completion protocol for commands, flags and flag values, --request-timeout and -o parsing.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestTimeoutMs } from './cli.js';
import { PLUGIN_VERSION } from './version.js';
import { runPlugin } from '../../test/support/run-cli.js';

const run = runPlugin;

describe('kubectl hpc version', () => {
  it('prints the package version, as text and as JSON', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(PLUGIN_VERSION).toBe(pkg.version);
    expect((await run('version')).out).toMatch(new RegExp(`^kubectl-hpc v${pkg.version} \\(node v`));
    const json = JSON.parse((await run('version', '-o', 'json')).out) as {
      clientVersion: { version: string };
    };
    expect(json.clientVersion.version).toBe(`v${pkg.version}`);
    expect((await run('version', '-o', 'jsonpath={.clientVersion.version}')).out).toBe(`v${pkg.version}`);
  });
});

describe('flags', () => {
  it('--request-timeout reads as kubectl does, and refuses nonsense naming the flag', async () => {
    expect(requestTimeoutMs(undefined)).toBe(0);
    expect(requestTimeoutMs('0')).toBe(0);
    expect(requestTimeoutMs('5')).toBe(5000);
    expect(requestTimeoutMs('1m30s')).toBe(90_000);
    const r = await run('status', '--request-timeout', 'soon');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--request-timeout takes a duration such as 10s or 1m, not "soon"');
  });

  it('-o takes name and jsonpath=TEMPLATE where kubectl has them, and says which it takes', async () => {
    const r = await run('status', '-o', 'xml');
    expect(r.code).toBe(2);
    expect(r.err).toContain('-o must be one of json, yaml, wide, name, jsonpath=TEMPLATE, not "xml"');
    expect((await run('status', '-o', 'jsonpath=')).code).toBe(2);
    expect((await run('status', '-o', 'jsonpath={.items')).code).not.toBe(0);
  });

  it('-A is refused together with -n on describe and logs', async () => {
    for (const c of ['describe', 'logs']) {
      const r = await run(c, 'x', '-A', '-n', 'ns', '--kubeconfig', '/nonexistent/kubeconfig');
      expect([c, r.code]).toEqual([c, 2]);
      expect(r.err).toContain('use -n or -A, not both');
    }
  });
});

describe('completion', () => {
  it('offers commands, flags and flag values without a cluster, and never files', async () => {
    const lines = async (...args: string[]) => (await run('__complete', ...args)).out.trimEnd().split('\n');
    expect(await lines('')).toEqual([
      'status',
      'logs',
      'describe',
      'retry',
      'cancel',
      'wait',
      'explain-hold',
      'version',
      'completion',
      ':4',
    ]);
    expect(await lines('de')).toEqual(['describe', ':4']);
    expect(await lines('logs', '--att')).toEqual(['--attempt', ':4']);
    expect(await lines('status', '-o', '')).toEqual(['json', 'yaml', 'wide', 'name', 'jsonpath=', ':4']);
    expect(await lines('-n', 'x', 'completion', '')).toEqual(['bash', 'zsh', ':4']);
    // HPCJob names need the cluster: with none, nothing, and still the directive.
    expect(await lines('describe', '')).toEqual([':4']);
  });

  it('completion bash: a script bash loads, whose function completes from kubectl-hpc __complete', () => {
    const script = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/kubectl-hpc.ts', 'completion', 'bash'],
      {
        encoding: 'utf8',
      },
    ).stdout;
    // A stand-in kubectl-hpc on PATH that answers the protocol, so only the script itself is under test.
    const bin = mkdtempSync(join(tmpdir(), 'hpcop-complete-'));
    writeFileSync(join(bin, 'kubectl-hpc'), '#!/bin/sh\nprintf "describe\\tShow\\ndelete\\n:4\\n"\n');
    chmodSync(join(bin, 'kubectl-hpc'), 0o755);
    const r = spawnSync(
      'bash',
      [
        '-c',
        `${script}\nCOMP_WORDS=(kubectl-hpc de); COMP_CWORD=1; _kubectl_hpc; printf '%s\\n' "\${COMPREPLY[@]}"; complete -p kubectl-hpc`,
      ],
      { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('describe\ndelete\ncomplete -F _kubectl_hpc kubectl-hpc\n');
  });

  it('completion zsh prints a compdef script; another shell is a usage error', async () => {
    expect((await run('completion', 'zsh')).out).toMatch(
      /^#compdef kubectl-hpc\n[\s\S]*compdef _kubectl_hpc kubectl-hpc\n$/,
    );
    const r = await run('completion', 'fish');
    expect(r.code).toBe(2);
    expect(r.err).toContain('completion takes one shell: bash or zsh');
  });
});
