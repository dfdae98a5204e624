import { describe, expect, it } from '@jest/globals';
import { selectorConstraint } from './schedd.js';

describe('selectorConstraint', () => {
  it("narrows a set's jobs to one index, and refuses what is not an index", () => {
    expect(selectorConstraint({ operator: 'op', uids: ['u1'], setIndex: 7 })).toBe(
      'HPCOperator == "op" && (member(HPCJobUID, {"u1"})) && HPCJobSetIndex == 7',
    );
    expect(() => selectorConstraint({ operator: 'op', setIndex: 1.5 })).toThrow('not an index: 1.5');
  });
});
