import { describe, expect, it } from '@jest/globals';
import { backoffMs, decide } from './retry.js';

describe('decide', () => {
  it('follows HTCondor transient vs permanent hold codes by default', () => {
    expect(decide(undefined, { category: 'Hold', holdCode: 13, holdSubCode: 110 }).action).toBe('release');
    expect(decide(undefined, { category: 'Hold', holdCode: 13, holdSubCode: 2 }).action).toBe('fail');
    expect(decide(undefined, { category: 'Hold', holdCode: 6, holdSubCode: 2 }).action).toBe('fail');
    expect(decide(undefined, { category: 'Hold', holdCode: 34, holdSubCode: 102 }).because).toMatch(/memory/);
    expect(decide(undefined, { category: 'Lost' }).action).toBe('retry');
    expect(decide(undefined, { category: 'StageIn' }).action).toBe('retry');
    expect(decide(undefined, { category: 'ExitCode', exitCode: 3 }).action).toBe('fail');
  });

  it('takes the first matching rule, in order', () => {
    const policy = {
      rules: [
        { onExitCodes: [3], action: 'fail' as const },
        { onExitCodes: [1, 3], action: 'retry' as const },
        { onHoldCodes: [34], onHoldSubCodes: [102], action: 'retry' as const, memoryFactor: 1.5 },
        { onCategories: ['Signal' as const], action: 'retry' as const },
      ],
    };
    expect(decide(policy, { category: 'ExitCode', exitCode: 3 })).toEqual({
      action: 'fail',
      because: 'retryPolicy.rules[0]',
    });
    expect(decide(policy, { category: 'ExitCode', exitCode: 1 }).action).toBe('retry');
    expect(decide(policy, { category: 'Hold', holdCode: 34, holdSubCode: 102 })).toEqual({
      action: 'retry',
      because: 'retryPolicy.rules[2]',
      memoryFactor: 1.5,
    });
    expect(decide(policy, { category: 'Hold', holdCode: 34, holdSubCode: 104 }).because).not.toMatch(/rules/);
    expect(decide(policy, { category: 'Signal', signal: 9 }).action).toBe('retry');
    expect(decide(policy, { category: 'ExitCode', exitCode: 2 }).because).not.toMatch(/rules/);
  });

  it('does not match an exit-code rule on a signal or wrapper failure', () => {
    const policy = { rules: [{ onExitCodes: [122], action: 'fail' as const }] };
    expect(decide(policy, { category: 'StageIn', exitCode: 122 }).action).toBe('retry');
  });

  it('turns a release rule into a retry for what is not a hold', () => {
    expect(
      decide(
        { rules: [{ onCategories: ['Lost' as const], action: 'release' as const }] },
        { category: 'Lost' },
      ).action,
    ).toBe('retry');
  });
});

describe('backoffMs', () => {
  it('grows by the factor from the initial delay, capped, with jitter around it', () => {
    const mid = () => 0.5;
    const p = { backoff: { initial: '10s', max: '1m', factor: 2 } };
    expect(backoffMs(p, 1, mid)).toBe(10_000);
    expect(backoffMs(p, 2, mid)).toBe(20_000);
    expect(backoffMs(p, 4, mid)).toBe(60_000);
    expect(backoffMs(p, 1, () => 0)).toBe(7_500);
    expect(backoffMs(p, 1, () => 1)).toBe(12_500);
  });
});
