import { describe, expect, it } from '@jest/globals';
import { ERRNO, HOLD_CODES } from './hold-codes.js';
import { explainHoldCode, holdLabel } from './hold-explanation.js';
import { HoldCode, isTransientHold } from './job-status.js';

describe('the hold-code table', () => {
  it('covers every code the operator names and the ones people meet most', () => {
    for (const code of Object.values(HoldCode).filter((c) => c !== HoldCode.Unspecified)) {
      expect(HOLD_CODES.has(code)).toBe(true);
    }
    for (const code of [1, 3, 6, 12, 13, 15, 16, 21, 26, 34, 35, 45, 46, 47]) {
      const info = HOLD_CODES.get(code);
      expect(info?.meaning.length).toBeGreaterThan(10);
      expect(info?.advice.length).toBeGreaterThan(10);
    }
  });

  it("uses HTCondor's own labels for the codes job-status.ts knows", () => {
    for (const [name, code] of Object.entries(HoldCode)) {
      if (code === HoldCode.Unspecified) continue;
      expect(HOLD_CODES.get(code)?.name).toBe(name);
    }
  });

  it('explains the walltime hold in terms of the HPCJob spec', () => {
    const e = explainHoldCode(47, 0);
    expect(e).toMatchObject({
      known: true,
      name: 'JobExecuteExceeded',
      transient: false,
      memoryExceeded: false,
    });
    expect(e.meaning).toContain('spec.resources.walltime');
    expect(e.subCodeName).toBeUndefined();
  });

  it('names errno subcodes and lets a specific subcode replace the advice', () => {
    const missing = explainHoldCode(13, 2);
    expect(missing).toMatchObject({ subCodeName: 'ENOENT', transient: false });
    expect(missing.advice).toContain('spec.workspace.inputs');
    expect(missing.advice).not.toBe(HOLD_CODES.get(13)?.advice);
    const refused = explainHoldCode(13, 111);
    expect(refused).toMatchObject({ subCodeName: 'ECONNREFUSED', transient: true });
    expect(refused.advice).toBe(HOLD_CODES.get(13)?.advice);
    expect(explainHoldCode(6, 13).subCodeName).toBe(ERRNO[13]?.name);
  });

  it('reads file-transfer plugin subcodes', () => {
    expect(explainHoldCode(12, 62).subCodeName).toBe('PluginTimeout');
    expect(explainHoldCode(13, 5 << 8)).toMatchObject({ subCodeName: 'PluginExit5' });
  });

  it('tells memory from disk for code 34, and the memory policy of code 21', () => {
    expect(explainHoldCode(34, 102)).toMatchObject({ subCodeName: 'Memory', memoryExceeded: true });
    expect(explainHoldCode(34, 102).advice).toContain('memoryFactor');
    expect(explainHoldCode(34, 104)).toMatchObject({ subCodeName: 'Disk', memoryExceeded: false });
    expect(explainHoldCode(34, 104).advice).toContain('spec.resources.disk');
    expect(explainHoldCode(21, 102)).toMatchObject({ subCodeName: 'MemoryExceeded', memoryExceeded: true });
  });

  it('agrees with isTransientHold about what the operator releases by itself', () => {
    for (const code of [...HOLD_CODES.keys(), 999]) {
      for (const sub of [undefined, 0, 2, 26, 110]) {
        expect(explainHoldCode(code, sub).transient).toBe(isTransientHold(code, sub));
      }
    }
  });

  it('still answers for a code it does not know', () => {
    const e = explainHoldCode(999, 7);
    expect(e).toMatchObject({ known: false, name: 'HoldCode999', subCode: 7 });
    expect(e.advice).toContain('hold reason');
  });

  it('labels holds compactly', () => {
    expect(holdLabel(47)).toBe('47 (JobExecuteExceeded)');
    expect(holdLabel(47, 0)).toBe('47 (JobExecuteExceeded)');
    expect(holdLabel(13, 2)).toBe('13/2 (TransferInputError, ENOENT)');
  });
});
