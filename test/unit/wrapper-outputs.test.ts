/**
 * Bounded outputs: the real wrapper under each shell, with condor-transfer staging (the workspace laid out
 * from scratch, results handed back in hpc-results/), refuses to stage back more than HPC_MAX_OUTPUT_BYTES.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHELLS, b64, runWrapper } from './wrapper-harness.js';

const WS = '/reana/users/u/workflows/w';
const STEP = [
  'head -c 5000 /dev/zero > big.bin',
  'head -c 3000 /dev/zero > middle.bin',
  'mkdir -p sub && head -c 100 /dev/zero > sub/small.txt',
  'echo made them',
].join('\n');

function run(shell: string[], maxOutputBytes: string) {
  return runWrapper(
    shell,
    {
      HPC_JOB: 'ns/step1',
      HPC_ATTEMPT: '1',
      HPC_SCRIPT: b64(STEP),
      HPC_WORKSPACE: b64(WS),
      HPC_STAGING: 'condor-transfer',
      HPC_TRANSFER_DIR: 'hpc-ws',
      HPC_MAX_OUTPUT_BYTES: maxOutputBytes,
    },
    { files: { 'hpc-ws/in.txt': 'input\n' } },
  );
}

describe.each(SHELLS)('bounded outputs under %s', (...shell: string[]) => {
  it('stages nothing back when the outputs exceed the limit, and names the biggest files', () => {
    const r = run(shell, '8000');
    expect(r.code).toBe(124);
    expect(r.result).toMatchObject({ category: 'output-too-large', exitCode: 124, bytesOut: 0 });
    expect(r.result.message).toBe(
      'the outputs are 8100 bytes, more than the 8000 allowed (spec.workspace.maxOutputBytes); nothing was staged back; the biggest: big.bin (5000 bytes), middle.bin (3000 bytes), sub/small.txt (100 bytes)',
    );
    // Nothing partial: only the logs and the report came back, in the workspace layout.
    const results = join(r.scratch, 'hpc-results');
    expect(readdirSync(results)).toEqual(['.hpc']);
    expect(readFileSync(join(results, '.hpc/step1/1/stdout'), 'utf8')).toBe('made them\n');
  });

  it('stages everything back when the outputs fit, up to the byte', () => {
    const r = run(shell, '8100');
    expect(r.code).toBe(0);
    expect(r.result).toMatchObject({ category: 'ok', bytesOut: 8100 });
    expect(existsSync(join(r.scratch, 'hpc-results/sub/small.txt'))).toBe(true);
    expect(existsSync(join(r.scratch, 'hpc-results/big.bin'))).toBe(true);
  });

  it('refuses a limit that is not a number of bytes as a broken contract', () => {
    const r = run(shell, '10GB');
    expect(r.code).toBe(120);
    expect(r.result).toMatchObject({ category: 'wrapper' });
  });
});
