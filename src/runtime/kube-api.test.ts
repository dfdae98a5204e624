import { describe, expect, it } from '@jest/globals';
import { applyMergePatch as apply } from '../../test/support/merge-patch.js';
import { mergePatchFor, sameJson, statusPatch } from './kube-api.js';

describe('statusPatch', () => {
  it('a status field the operator clears is cleared on the server (found by the simulation: writes looped)', () => {
    const stored = {
      phase: 'Failed',
      completionTime: '2026-12-01T10:00:00Z',
      logs: { stdout: 'a', stderr: 'b' },
    };
    const next = { phase: 'Pending', completionTime: undefined, logs: { stdout: 'a' } };
    const patch = statusPatch(stored, next);
    expect(patch).toEqual({ phase: 'Pending', completionTime: null, logs: { stderr: null } });
    expect(sameJson(apply(stored, patch), next)).toBe(true);
  });

  it('sends only what changed, and whole arrays', () => {
    const stored = { phase: 'Running', attempts: [{ attempt: 1 }], message: 'x' };
    const next = { phase: 'Running', attempts: [{ attempt: 1 }, { attempt: 2 }], message: 'x' };
    expect(mergePatchFor(stored, next)).toEqual({ attempts: [{ attempt: 1 }, { attempt: 2 }] });
    expect(statusPatch(undefined, { phase: 'Pending' })).toEqual({ phase: 'Pending' });
  });
});

describe('sameJson', () => {
  it('ignores key order and undefined values, and nothing else', () => {
    expect(sameJson({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: {} }, { a: null })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 0 })).toBe(false);
  });
});
