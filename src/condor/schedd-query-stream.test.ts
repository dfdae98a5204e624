import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CondorCli, type CommandEvent } from './cli.js';
import { CondorError } from './errors.js';
import type { JobAd } from './parse.js';
import { ScheddCommands } from './schedd-commands.js';

/**
 * condor_q read ad by ad through the real CondorCli (execa) and ScheddCommands, against a STAND-IN condor_q:
 * a shell script printing recorded-format `condor_q -json` output (not a live schedd), in pieces.
 */
let dir: string;

function standIn(body: string): ScheddCommands & { events: CommandEvent[] } {
  writeFileSync(join(dir, 'condor_q'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, 'condor_q'), 0o755);
  const events: CommandEvent[] = [];
  const cli = new CondorCli({ binDir: dir, timeoutMs: 2000, observer: (e) => events.push(e) });
  return Object.assign(new ScheddCommands(cli), { events });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'condor-q-stream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('condor_q -json read ad by ad (stand-in condor_q, recorded format)', () => {
  it('hands each ad over, an ad written in two pieces included, and returns none', async () => {
    // The second ad is written in two pieces with a pause between (every split point: json-ads.test.ts).
    const q = standIn(
      `printf '[\\n{\\n  "ClusterId": 7,\\n  "HPCJobUID": "u",\\n  "ProcId": 0\\n}\\n,\\n{\\n  "ClusterId": 7,\\n  "HPC'; sleep 0.2; printf 'JobUID": "u",\\n  "ProcId": 1\\n}\\n]\\n'`,
    );
    const seen: JobAd[] = [];
    const returned = await q.query('true', ['HPCJobUID'], 'track', (ad) => seen.push(ad));
    expect(returned).toEqual([]);
    expect(seen).toEqual([
      { ClusterId: 7, HPCJobUID: 'u', ProcId: 0 },
      { ClusterId: 7, HPCJobUID: 'u', ProcId: 1 },
    ]);
    expect(await q.query('true', ['HPCJobUID'])).toEqual(seen);
  });

  it('no output (nothing matched) is no ads', async () => {
    const q = standIn('exit 0');
    expect(await q.query('true', [])).toEqual([]);
  });

  it('a malformed ad fails the call with a CondorError, reported as failed', async () => {
    const q = standIn(`printf '[\\n{\\n  "ClusterId": 7,\\n  "ProcId": \\n}\\n]\\n'`);
    const err = await q.query('true', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CondorError);
    expect((err as CondorError).message).toMatch(/condor_q printed an ad that is not JSON \(ad 1\)/);
    expect(q.events.map((e) => e.outcome)).toEqual(['failed']);
  });

  it('a failing condor_q is classified by its exit and stderr, not by the partial output', async () => {
    const q = standIn(`printf '[\\n{"Cluster'; echo 'Failed to connect to queue manager' >&2; exit 1`);
    const err = await q.query('true', []).catch((e: unknown) => e);
    expect(err instanceof CondorError && err.kind).toBe('unavailable');
  });

  it('a condor_q that does not finish times out as before', async () => {
    const q = standIn(`printf '[\\n{"ClusterId": 1}\\n,\\n'; exec sleep 30`);
    const err = await q.query('true', []).catch((e: unknown) => e);
    expect(err instanceof CondorError && err.kind).toBe('timeout');
  });
});
