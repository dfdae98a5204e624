import { describe, expect, it } from '@jest/globals';
import { MAX_DURABLE_RANGES_TEXT, MAX_SET_INDICES } from '../../crds/hpcjobset-constants.js';
import { CUT_MARK, indicesWhere, ownRanges, parseRanges, toRanges } from './ranges.js';

describe('index ranges', () => {
  it('compress runs and single indices, and read back the same', () => {
    const list = [0, 1, 2, 3, 5, 7, 8, 9, 100];
    expect(toRanges(list)).toBe('0-3,5,7-9,100');
    expect(parseRanges('0-3,5,7-9,100', 101)).toEqual({ indices: list });
    expect(toRanges([])).toBe('');
    expect(toRanges(indicesWhere(MAX_SET_INDICES, () => true))).toBe('0-99999');
  });

  it('read what people write: blanks, repeats, overlapping ranges', () => {
    expect(parseRanges(' 3 , 1-2,2- 4,', 10)).toEqual({ indices: [1, 2, 3, 4] });
  });

  it('refuse what is not an index list, naming the item', () => {
    expect(parseRanges('1,x', 10)).toEqual({ error: '"x" is not an index or a range such as 3-7' });
    expect(parseRanges('5-2', 10)).toEqual({ error: '5-2: the range ends before it starts' });
    expect(parseRanges('3-10', 10)).toEqual({ error: '3-10: the set has indices 0 to 9' });
    expect(parseRanges('-1', 10)).toHaveProperty('error');
    expect(ownRanges('garbage', 10)).toEqual([]);
  });

  it('cut a long list at a comma with a mark, and read the cut list up to the mark', () => {
    const every2 = indicesWhere(1000, (i) => i % 2 === 0);
    const text = toRanges(every2, 20);
    expect(text).toBe('0,2,4,6,8,10,12,14' + CUT_MARK);
    expect(ownRanges(text, 1000)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
  });

  it('keep the worst case of what ended (alternating outcomes of 100,000 indices) under its bound', () => {
    const even = toRanges(
      indicesWhere(MAX_SET_INDICES, (i) => i % 2 === 0),
      Infinity,
    );
    const odd = toRanges(
      indicesWhere(MAX_SET_INDICES, (i) => i % 2 === 1),
      Infinity,
    );
    expect(even.length + odd.length).toBeLessThan(MAX_DURABLE_RANGES_TEXT);
    expect(ownRanges(odd, MAX_SET_INDICES)).toHaveLength(MAX_SET_INDICES / 2);
  });
});
