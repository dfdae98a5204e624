import { describe, expect, it } from '@jest/globals';
import { makeHPCJobSet } from '../../../test/support/builders/hpcjobset.js';
import { argsVary, expand, indexVars, itemsProblem, totalOf } from './index-env.js';

describe('what an index gets', () => {
  it('HPC_INDEX, and HPC_ITEM_<KEY> for each key of its item', () => {
    const set = makeHPCJobSet()
      .items([{ b: '2', a: 'one' }, { a: 'x' }])
      .obj();
    expect(indexVars(set, 0)).toEqual({ HPC_INDEX: '0', HPC_ITEM_a: 'one', HPC_ITEM_b: '2' });
    expect(indexVars(set, 1)).toEqual({ HPC_INDEX: '1', HPC_ITEM_a: 'x' });
    expect(totalOf(set)).toBe(2);
    expect(indexVars(makeHPCJobSet().spec({ count: 5 }).obj(), 4)).toEqual({ HPC_INDEX: '4' });
  });

  it('replaces $(NAME) of its variables as data, $$ by $, and leaves other text as written', () => {
    const vars = { HPC_INDEX: '7', HPC_ITEM_cut: "$(id) 'pt > 20'" };
    expect(expand('seed-$(HPC_INDEX)', vars)).toBe('seed-7');
    expect(expand('$(HPC_ITEM_cut)', vars)).toBe("$(id) 'pt > 20'");
    expect(expand('$$(HPC_INDEX) $(HOME) $ $(', vars)).toBe('$(HPC_INDEX) $(HOME) $ $(');
    // A value is never expanded again.
    expect(expand('$(HPC_ITEM_cut)$(HPC_INDEX)', { ...vars, HPC_ITEM_cut: '$(HPC_INDEX)' })).toBe(
      '$(HPC_INDEX)7',
    );
    expect(argsVary(['a', 'b'])).toBe(false);
    expect(argsVary(['$(HPC_INDEX)'])).toBe(true);
  });

  it('refuses item keys that cannot be part of a variable name, naming the item', () => {
    expect(
      itemsProblem(
        makeHPCJobSet()
          .items([{ ok: '1' }, { 'bad-key': '2' }])
          .obj(),
      ),
    ).toMatch(/^spec\.items\[1\]: key "bad-key" is not a name/);
    expect(
      itemsProblem(
        makeHPCJobSet()
          .items([{ ok_1: '1' }])
          .obj(),
      ),
    ).toBeUndefined();
  });
});
