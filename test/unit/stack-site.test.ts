/**
 * `make stack-status` judges the SLURM site by its node's state (test/e2e/stack/site.sh): a node busy with
 * jobs is healthy, one that does not respond or is drained is not.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../support/stack/stack.js';

function stateOk(state: string): boolean {
  const site = join(REPO, 'test/e2e/stack/site.sh');
  return spawnSync('sh', ['-c', '. "$1"; slurm_state_ok "$2"', 'sh', site, state]).status === 0;
}

describe('the SLURM site health check', () => {
  it('takes idle, mixed, allocated and completing nodes as healthy', () => {
    for (const s of ['idle', 'mixed', 'allocated', 'completing']) expect([s, stateOk(s)]).toEqual([s, true]);
  });

  it('takes unresponsive, drained, down or unknown nodes as unhealthy', () => {
    for (const s of ['idle*', 'mixed~', 'drained', 'draining', 'down', 'unknown', ''])
      expect([s, stateOk(s)]).toEqual([s, false]);
  });
});
