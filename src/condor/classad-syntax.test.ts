import { describe, expect, it } from '@jest/globals';
import { CLASSAD_CORPUS } from '../../test/fixtures/classad/corpus.js';
import { REQUIREMENTS_WITHIN } from '../controllers/hpcjob/validate.js';
import { classAdComments, classAdSyntaxError } from './classad-syntax.js';
import { timeLiteralProblem } from './classad-time.js';

describe('classAdSyntaxError agrees with the HTCondor verdicts of the corpus (checked against HTCondor in e2e)', () => {
  it.each(CLASSAD_CORPUS.map((c) => [c.parses ? 'parses' : 'refuses', c.expr.slice(0, 60), c] as const))(
    '%s %j',
    (_, __, c) => {
      const error = classAdSyntaxError(c.expr, REQUIREMENTS_WITHIN);
      if (c.parses) expect(error).toBeUndefined();
      else expect(error?.message).toMatch(/column \d+/);
    },
  );
});

describe('classAdSyntaxError on its own text', () => {
  it('finds the end of the input only where the real parser checks it', () => {
    // A conditional returns before the check that the input is used up.
    expect(classAdSyntaxError('true ? 1 : 2 )')).toBeUndefined();
    expect(classAdSyntaxError('true) || (true')?.message).toBe(
      'expected an operator or the end of the expression at column 5, found ")"',
    );
  });

  it('takes a string that ends in a backslash only at the very end', () => {
    expect(classAdSyntaxError('x == "C:\\"')).toBeUndefined();
    expect(classAdSyntaxError('x == "C:\\"', REQUIREMENTS_WITHIN)?.message).toBe(
      'a string that never ends at column 6',
    );
  });

  it('names the column and what it found, counted in the caller text', () => {
    expect(classAdSyntaxError('TARGET.Memory >= )', REQUIREMENTS_WITHIN)).toEqual({
      column: 18,
      message: 'expected an operand at column 18, found ")"',
    });
    expect(classAdSyntaxError('(TARGET.Memory > 1', REQUIREMENTS_WITHIN)?.message).toBe(
      'expected an operator or ")" at column 19, found the end of the expression',
    );
    expect(classAdSyntaxError('Owner = "root"')?.message).toBe(
      '"=" at column 7 assigns a value; compare with == (or =?=)',
    );
    expect(classAdSyntaxError('Memory > 010')?.message).toMatch(/leading 0 .* at column 10$/);
    expect(classAdSyntaxError('x @ y')?.message).toBe(
      'the character "@", which is not part of the ClassAd language at column 3',
    );
    expect(classAdSyntaxError('absTime("soon") > 1')?.message).toMatch(
      /^absTime\("soon"\) at column 1: not an absolute time/,
    );
  });

  it('gives up past 1000 nested expressions, as HTCondor does, without exhausting the stack', () => {
    expect(classAdSyntaxError('('.repeat(999) + 'x' + ')'.repeat(999))).toBeUndefined();
    expect(classAdSyntaxError('('.repeat(1000) + 'x' + ')'.repeat(1000))?.message).toBe(
      'nested more than 1000 deep at column 1001',
    );
    expect(classAdSyntaxError('('.repeat(4000))?.message).toMatch(/nested more than 1000 deep/);
    expect(classAdSyntaxError('-'.repeat(4000) + 'x')).toBeUndefined();
    expect(classAdSyntaxError('{'.repeat(999) + '}'.repeat(999))).toBeUndefined();
  });

  it('lists the comments HTCondor would skip, not comment-like text in strings', () => {
    expect(classAdComments('a /* x */ > 1 // y')).toEqual([2, 14]);
    expect(classAdComments('x == "/* ) || ( */"')).toEqual([]);
  });
});

describe('timeLiteralProblem', () => {
  it.each(['2024', '2024-01-25', '2024-01-25T09:00:00Z', '2003-01-25T09:00:00-06:00', '20240125090000+0100'])(
    'reads absTime(%j)',
    (s) => expect(timeLiteralProblem('abstime', s)).toBeUndefined(),
  );
  it.each(['garbage', '202', '2024-1', '2024-01-25T09:00:00:00'])('refuses absTime(%j)', (s) =>
    expect(timeLiteralProblem('abstime', s)).toMatch(/not an absolute time/),
  );
  it.each(['', '90', '1.5s', '2h30m', '1+00:02:00', '-1d', ' 3 : 04 '])('reads relTime(%j)', (s) =>
    expect(timeLiteralProblem('reltime', s)).toBeUndefined(),
  );
  it.each(['xyz', '1 year', '1w', '--1'])('refuses relTime(%j)', (s) =>
    expect(timeLiteralProblem('reltime', s)).toMatch(/not a relative time/),
  );
});
