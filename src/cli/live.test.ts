import { describe, expect, it } from '@jest/globals';
import { LiveBlock } from './live.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, out: { isTTY, columns: 40, write: (s: string | Uint8Array) => chunks.push(String(s)) } };
}

describe('LiveBlock', () => {
  it('prints a line only when it changes when not on a terminal', () => {
    const { chunks, out } = sink(false);
    const live = new LiveBlock(out);
    live.render([
      { key: 'a', text: 'a: Queued' },
      { key: 'b', text: 'b: Running' },
    ]);
    live.render([
      { key: 'a', text: 'a: Running' },
      { key: 'b', text: 'b: Running' },
    ]);
    // A changing age alone is not news.
    live.render([{ key: 'a', text: 'a: Running 5s', signature: 'a: Running' }]);
    expect(chunks.join('')).toBe('a: Queued\nb: Running\na: Running\n');
    expect(chunks.join('')).not.toContain('\x1b');
  });

  it('redraws in place on a terminal, cutting lines to its width', () => {
    const { chunks, out } = sink(true);
    const live = new LiveBlock(out);
    live.render([
      { key: 'a', text: 'first' },
      { key: 'b', text: 'x'.repeat(100) },
    ]);
    live.render([{ key: 'a', text: 'second' }]);
    expect(chunks[0]).toBe(`first\n${'x'.repeat(38)}…\n`);
    // Two lines up, clear to the end, draw again.
    expect(chunks[1]).toBe('\x1b[2F\x1b[Jsecond\n');
    live.done();
    live.render([{ key: 'a', text: 'third' }]);
    expect(chunks[2]).toBe('third\n');
  });
});
