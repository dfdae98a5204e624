import { describe, expect, it } from '@jest/globals';
import { KeyFifo } from './key-fifo.js';

describe('KeyFifo', () => {
  it('hands keys out in arrival order, once each', () => {
    const f = new KeyFifo();
    f.push('a');
    f.push('b');
    f.push('a');
    expect(f.size).toBe(2);
    expect([f.shift(), f.shift(), f.shift()]).toEqual(['a', 'b', undefined]);
    expect(f.size).toBe(0);
  });

  it('skips a deleted key, and a key pushed again after its delete goes to the end', () => {
    const f = new KeyFifo();
    for (const k of ['a', 'b', 'c']) f.push(k);
    expect(f.delete('b')).toBe(true);
    expect(f.delete('b')).toBe(false);
    expect(f.has('b')).toBe(false);
    f.push('b');
    expect([f.shift(), f.shift(), f.shift()]).toEqual(['a', 'c', 'b']);
  });

  it('stays in order across the compaction of a long consumed front', () => {
    const f = new KeyFifo();
    const out: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      f.push(`k${i}`);
      if (i % 3 === 2) f.delete(`k${i - 1}`);
      if (i % 2 === 1) out.push(f.shift() as string);
    }
    for (let k = f.shift(); k !== undefined; k = f.shift()) out.push(k);
    const expected = Array.from({ length: 10_000 }, (_, i) => i)
      .filter((i) => i % 3 !== 1)
      .map((i) => `k${i}`);
    expect(out).toEqual(expected);
  });

  it('is empty after clear and takes new keys', () => {
    const f = new KeyFifo();
    f.push('a');
    f.shift();
    f.push('b');
    f.clear();
    expect(f.shift()).toBeUndefined();
    f.push('c');
    expect(f.shift()).toBe('c');
  });
});
