import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseMatchAnalysis } from './match-analysis.js';

// Output of the real condor_q -better-analyze (HTCondor 23.9, Debian 13) on the local stack's one-slot pool.
const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/condor/${name}`, import.meta.url), 'utf8');

describe('parseMatchAnalysis (recorded from the real condor_q -better-analyze)', () => {
  it('reads the clauses, the job values, the example slot and the summary of a job no slot matches', () => {
    const a = parseMatchAnalysis(fixture('better-analyze-no-match.txt'));
    expect(a).toMatchObject({ machines: 1, rejectedByJob: 1, available: 0, servingOthers: 0 });
    expect(a?.clauses).toEqual([
      { matched: 0, condition: 'TARGET.HasCVMFS is true' },
      { matched: 0, condition: 'TARGET.Memory >= RequestMemory' },
      { matched: 1, condition: 'TARGET.HasFileTransfer' },
    ]);
    expect(a?.jobValues.RequestMemory).toBe('64000 (mb)');
    expect(a?.exampleSlot).toEqual({
      name: 'slot1@hpc-pool',
      values: expect.objectContaining({ 'TARGET.Memory': '16384 (mb)', 'TARGET.Arch': '"X86_64"' }),
    });
  });

  it('reads a job that slots could run while their resources are in use', () => {
    const a = parseMatchAnalysis(fixture('better-analyze-slots-busy.txt'));
    expect(a).toMatchObject({ machines: 1, rejectedByJob: 0, available: 1 });
    expect(a?.clauses.find((c) => c.condition === 'TARGET.Memory >= RequestMemory')?.matched).toBe(1);
    expect(a?.exampleSlot).toBeUndefined();
  });

  it('has nothing to say about output without a run summary (the job left the queue)', () => {
    expect(parseMatchAnalysis('\n\n-- Schedd: schedd@hpc-pool : <10.250.0.1:9618?...\n')).toBeUndefined();
  });
});
