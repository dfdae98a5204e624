import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { shellCommand, shellQuote } from './shell.js';

const WORDS = [
  'plain',
  '',
  'a b',
  "it's",
  '$(rm -rf /)',
  '`id`',
  'a;b',
  'x\ny',
  '"q"',
  '\\',
  '*',
  '~',
  'ü ✓',
  "'''",
];

describe('shellQuote', () => {
  it.each(WORDS)('round-trips %j through a real sh', (word) => {
    const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(word)}`]).toString();
    expect(out).toBe(word);
  });

  it('keeps argv boundaries', () => {
    const out = execFileSync('/bin/sh', [
      '-c',
      `for a in ${shellCommand(WORDS)}; do printf '[%s]' "$a"; done`,
    ]).toString();
    expect(out).toBe(WORDS.map((w) => `[${w}]`).join(''));
  });

  it('refuses NUL', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});
