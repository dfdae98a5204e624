import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restFrom, restOfFile } from './finish.js';

/** What a follower kept of a stream that was `streamed`, with a head of `head` and a window of `w` bytes. */
function kept(streamed: string, head = 8, w = 6) {
  const b = Buffer.from(streamed);
  return { total: b.length, head: b.subarray(0, head), window: b.subarray(Math.max(0, b.length - w)) };
}

describe('the rest of a followed log from the fetched file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'finish-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('goes on where the live stream stopped when the file starts and goes on as streamed', () => {
    const path = file('whole', 'line 1\nline 2\nline 3\nline 4\n');
    expect(restOfFile(path, kept('line 1\nline 2\nline 3\n'))).toEqual({ known: true, from: 21, size: 28 });
    // Nothing streamed at all: the whole file.
    expect(restOfFile(path, kept(''))).toEqual({ known: true, from: 0, size: 28 });
    // Everything streamed: nothing more.
    expect(restOfFile(path, kept('line 1\nline 2\nline 3\nline 4\n'))).toEqual({
      known: true,
      from: 28,
      size: 28,
    });
  });

  it('adds nothing when the stream did not start at the beginning (the first poll had more than -maxbytes)', () => {
    const path = file('late', 'line 1\nline 2\nline 3\nline 4\n');
    expect(restOfFile(path, kept('line 3\n'))).toEqual({
      known: false,
      why: 'the live stream did not start at the beginning of the file',
    });
  });

  it('adds nothing when a poll skipped bytes, or when the file is shorter than the stream', () => {
    const path = file('skip', 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    // Lines 2 and 3 never came: the count is short, and the window does not match the file there.
    expect(restOfFile(path, kept('line 1\nline 4\n')).known).toBe(false);
    expect(
      restFrom(kept('line 1\nline 2\n'), { size: 3, head: Buffer.from('lin'), window: Buffer.alloc(0) }),
    ).toEqual({
      known: false,
      why: 'the fetched file has 3 bytes, fewer than the 14 streamed',
    });
    expect(restOfFile(join(dir, 'missing'), kept('x')).known).toBe(false);
  });
});
