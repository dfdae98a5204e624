/**
 * Property test of src/sites/shell.ts with real shells (dash, bash, busybox sh when installed): for arbitrary
 * words, mostly from the characters a shell gives a meaning to, `shellQuote` reads back byte for byte,
 * `shellCommand` keeps argv boundaries, and `sitePath` expands only a leading `~/`. NUL, which no shell word
 * can hold, is refused with the documented error. One shell process checks a whole array of words.
 * Seeded: on failure fast-check prints the seed and path to replay (FC_SEED overrides the seed).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { sitePath } from '../../src/sites/pilot.js';
import { shellCommand, shellQuote } from '../../src/sites/shell.js';
import { SHELLS } from '../fixtures/hostile/harness.js';
import { hostileUnit } from '../fixtures/hostile/units.js';

const SEED = Number(process.env.FC_SEED ?? 20261125);
const RUNS = Number(process.env.FC_RUNS ?? 60);

const unit = hostileUnit();
/**
 * Words near the quoter's fast path (it leaves [A-Za-z0-9_./:=@%+,-] unquoted): short, mostly of those
 * characters plus one a shell expands (`~` at the start, globs, `$`, `#`), where a too-generous fast path
 * would show.
 */
const plainish = fc.string({
  unit: fc.constantFrom(...'aZ09_./:=@%+,-'.split(''), ...'~*?[]{}!#$^&'.split('')),
  maxLength: 5,
});
const word = fc.oneof(fc.string({ unit, maxLength: 12 }), plainish);

/** Runs `script` with `shell`, HOME set, and returns stdout as bytes decoded to UTF-8. */
function run(shell: string[], script: string): { status: number | null; out: string; err: string } {
  const r = spawnSync(shell[0] as string, [...shell.slice(1), '-c', script], {
    env: { PATH: '/usr/bin:/bin', HOME: '/home/hpc user' },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe.each(SHELLS)('shell quoting under %s', (...shell: string[]) => {
  it('reads every quoted word back exactly, and keeps argv boundaries', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 40 }), (words) => {
        // Each word on its own, and the whole list as one command line.
        const each = words.map((w) => `printf '%s\\0' ${shellQuote(w)}`).join('; ');
        const all = `for a in ${shellCommand(words)}; do printf '[%s]\\0' "$a"; done`;
        const r = run(shell, `${each}; ${all}`);
        expect(r.status).toBe(0);
        const got = r.out.split('\0').slice(0, -1);
        expect(got).toEqual([...words, ...words.map((w) => `[${w}]`)]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('expands ~/ of a site path to HOME and nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            word,
            word.map((w) => `~/${w}`),
            fc.constant('~'),
          ),
          { maxLength: 20 },
        ),
        (paths) => {
          const r = run(shell, paths.map((p) => `printf '%s\\0' ${sitePath(p)}`).join('; ') || 'true');
          expect(r.status).toBe(0);
          const home = '/home/hpc user';
          const want = paths.map((p) =>
            p === '~' ? home : p.startsWith('~/') ? `${home}/${p.slice(2)}` : p,
          );
          expect(r.out.split('\0').slice(0, -1)).toEqual(want);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('shell quoting refusals', () => {
  it('refuses exactly the words that hold a NUL', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(() => shellQuote(`${a}\0${b}`)).toThrow('a shell word cannot contain a NUL character');
        expect(() => shellQuote(a + b)).not.toThrow();
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
