import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../crds/common.js';
import {
  findStatusCondition,
  isStatusConditionTrue,
  removeStatusCondition,
  rfc3339,
  setStatusCondition,
} from './conditions.js';

describe('setStatusCondition', () => {
  it('adds, then changes lastTransitionTime only when the status flips', () => {
    const cs: Condition[] = [];
    const t1 = new Date('2026-01-01T00:00:00.123Z');
    const t2 = new Date('2026-01-01T00:01:00Z');
    const t3 = new Date('2026-01-01T00:02:00Z');
    expect(
      setStatusCondition(cs, { type: 'Submitted', status: 'False', reason: 'Waiting', message: 'a' }, t1),
    ).toBe(true);
    expect(cs[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(
      setStatusCondition(cs, { type: 'Submitted', status: 'False', reason: 'Waiting', message: 'a' }, t2),
    ).toBe(false);
    expect(
      setStatusCondition(
        cs,
        { type: 'Submitted', status: 'False', reason: 'Other', message: 'b', observedGeneration: 2 },
        t2,
      ),
    ).toBe(true);
    expect(cs[0]).toMatchObject({
      reason: 'Other',
      message: 'b',
      observedGeneration: 2,
      lastTransitionTime: rfc3339(t1),
    });
    expect(
      setStatusCondition(cs, { type: 'Submitted', status: 'True', reason: 'Submitted', message: 'c' }, t3),
    ).toBe(true);
    expect(cs[0]?.lastTransitionTime).toBe(rfc3339(t3));
    expect(isStatusConditionTrue(cs, 'Submitted')).toBe(true);
    expect(findStatusCondition(cs, 'Running')).toBeUndefined();
    expect(removeStatusCondition(cs, 'Submitted')).toBe(true);
    expect(removeStatusCondition(cs, 'Submitted')).toBe(false);
  });

  it('truncates messages to the schema maximum', () => {
    const cs: Condition[] = [];
    setStatusCondition(cs, { type: 'X', status: 'True', reason: 'R', message: 'x'.repeat(40000) });
    expect(cs[0]?.message.length).toBe(32768);
  });
});
