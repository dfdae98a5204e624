import { describe, expect, it } from '@jest/globals';
import {
  SubmitDescriptionError,
  classAdLiteral,
  expr,
  renderSubmitDescription,
  s,
  type SubmitJob,
} from './submit-description.js';

/** Values that try to break out of their line, quote or macro. */
const HOSTILE = [
  'plain',
  'sep\u2028line',
  'with space',
  "it's",
  'say "hi"',
  'back\\slash',
  '$',
  'cost: 5$ each',
  '$ENV(HOME)',
  '$HOME',
  '#not a comment',
  'queue 100',
  'tab\there',
  'ünïcödé ✓',
];
const LINE_BREAKING = ['two\nlines', 'queue 1\nexecutable = /bin/rm', 'cr\rhere', 'nul\0byte'];
/** Macro openers that no escape carries through both expansions: refused everywhere. */
const MACROS = ['$(DOLLAR)', '$(Cluster)', '$$(Memory)', 'a$$b', '$$'];

function job(overrides: Partial<SubmitJob> = {}): SubmitJob {
  return { commands: { executable: s.string('/bin/true') }, attributes: {}, ...overrides };
}

/** True when a `$` is left that is not part of a $(DOLLAR) escape. */
function unescapedDollars(line: string): boolean {
  return line.replace(/\$\(DOLLAR\)/g, '').includes('$');
}

/** The lines of a description that are not ours: every line must be `name = value` or our queue line. */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('renderSubmitDescription', () => {
  it('queues each job once, in order, with every command and attribute set in every block', () => {
    const text = renderSubmitDescription([
      job({ attributes: { HPCJobUID: 'a', Extra: 1 } }),
      job({
        commands: { executable: s.string('/bin/false'), arguments: s.args(['x']) },
        attributes: { HPCJobUID: 'b' },
      }),
    ]);
    expect(text).toBe(
      [
        'executable = /bin/true',
        'arguments =',
        'MY.HPCJobUID = "a"',
        'MY.Extra = 1',
        'queue 1',
        '',
        'executable = /bin/false',
        'arguments = "\'x\'"',
        'MY.HPCJobUID = "b"',
        'MY.Extra = undefined',
        'queue 1',
        '',
      ].join('\n'),
    );
  });

  it.each(HOSTILE)('keeps %j as data in a ClassAd string attribute', (value) => {
    const text = renderSubmitDescription([job({ attributes: { HPCNote: value } })]);
    const body = lines(text);
    expect(body).toHaveLength(3);
    expect(body[2]).toBe('queue 1');
    const line = body[1] as string;
    expect(line.startsWith('MY.HPCNote = "')).toBe(true);
    expect(line.endsWith('"')).toBe(true);
    // No macro survives unescaped, no quote ends the string early.
    expect(unescapedDollars(line)).toBe(false);
    expect(line.slice('MY.HPCNote = "'.length, -1)).not.toMatch(/(^|[^\\])(\\\\)*"/);
  });

  it.each([...LINE_BREAKING, 'ctrl\x01char', 'ends with\\', 'quote after \\" backslash'])(
    'refuses %j in a ClassAd string, which the submit syntax cannot carry',
    (value) => {
      expect(() => renderSubmitDescription([job({ attributes: { HPCNote: value } })])).toThrow(
        SubmitDescriptionError,
      );
    },
  );

  it.each(MACROS)('refuses the macro opener %j in every kind of value', (value) => {
    const attempts: SubmitJob[] = [
      job({ attributes: { HPCNote: value } }),
      job({ commands: { arguments: s.args([value]) } }),
      job({ commands: { environment: s.env({ V: value }) } }),
      job({ commands: { batch_name: s.string(value) } }),
      job({ commands: { requirements: s.expr(expr(value)) } }),
      job({ commands: { transfer_input_files: s.list([value]) } }),
    ];
    for (const j of attempts) expect(() => renderSubmitDescription([j])).toThrow(/\$\(" or "\$\$/);
  });

  it.each(HOSTILE)('quotes %j as one argument and one environment value', (value) => {
    const text = renderSubmitDescription([
      job({
        commands: {
          executable: s.string('/bin/echo'),
          arguments: s.args([value, 'b']),
          environment: s.env({ V: value }),
        },
      }),
    ]);
    const body = lines(text);
    expect(body).toHaveLength(4);
    expect(body[1]).toMatch(/^arguments = "'.*' 'b'"$/s);
    expect(body[2]).toMatch(/^environment = "V='.*'"$/s);
    for (const l of body.slice(1, 3)) expect(unescapedDollars(l)).toBe(false);
  });

  it.each(LINE_BREAKING)('refuses %j where a line-based value cannot carry it', (value) => {
    expect(() => renderSubmitDescription([job({ commands: { arguments: s.args([value]) } })])).toThrow(
      SubmitDescriptionError,
    );
    expect(() => renderSubmitDescription([job({ commands: { environment: s.env({ V: value }) } })])).toThrow(
      SubmitDescriptionError,
    );
    expect(() => renderSubmitDescription([job({ commands: { batch_name: s.string(value) } })])).toThrow(
      SubmitDescriptionError,
    );
    expect(() => renderSubmitDescription([job({ commands: { requirements: s.expr(expr(value)) } })])).toThrow(
      SubmitDescriptionError,
    );
  });

  it('refuses names that are not submit commands or attributes, and the queue keyword', () => {
    expect(() => renderSubmitDescription([job({ commands: { queue: s.int(1) } })])).toThrow(/reserved/);
    expect(() => renderSubmitDescription([job({ commands: { 'a b': s.int(1) } })])).toThrow(
      /invalid submit command/,
    );
    expect(() => renderSubmitDescription([job({ attributes: { '+Owner': 'x' } })])).toThrow(
      /invalid ClassAd/,
    );
    expect(() => renderSubmitDescription([job({ attributes: { 'Owner\nqueue': 'x' } })])).toThrow(
      /invalid ClassAd/,
    );
    expect(() =>
      renderSubmitDescription([job({ commands: { environment: s.env({ 'A=B': 'x' }) } })]),
    ).toThrow(/invalid variable name/);
  });

  it('refuses a string command value that would continue onto the next line or lose blanks', () => {
    expect(() => renderSubmitDescription([job({ commands: { output: s.string('out\\') } })])).toThrow(
      /backslash/,
    );
    expect(() => renderSubmitDescription([job({ commands: { output: s.string(' out') } })])).toThrow(
      /blanks/,
    );
  });

  it('refuses list items with separators', () => {
    expect(() =>
      renderSubmitDescription([job({ commands: { transfer_input_files: s.list(['a,b']) } })]),
    ).toThrow(/comma/);
    expect(
      renderSubmitDescription([job({ commands: { transfer_input_files: s.list(['a', 'b/']) } })]),
    ).toContain('transfer_input_files = a,b/');
  });

  it('writes numbers, booleans, null and expressions as ClassAd values', () => {
    const text = renderSubmitDescription([
      job({ attributes: { N: 3, F: 1.5, T: true, U: null, E: expr('(TARGET.Memory > 100)') } }),
    ]);
    expect(text).toContain('MY.N = 3\n');
    expect(text).toContain('MY.F = 1.5\n');
    expect(text).toContain('MY.T = true\n');
    expect(text).toContain('MY.U = undefined\n');
    expect(text).toContain('MY.E = (TARGET.Memory > 100)\n');
    expect(() => renderSubmitDescription([job({ attributes: { N: Number.NaN } })])).toThrow(/finite/);
  });

  it('refuses an empty batch', () => {
    expect(() => renderSubmitDescription([])).toThrow(/nothing to submit/);
  });
});

describe('dollar escaping', () => {
  it.each([
    ['$', '$(DOLLAR)'],
    ['a$b', 'a$(DOLLAR)b'],
    ['$ENV(X)', '$(DOLLAR)ENV(X)'],
  ])('escapes %j as %j', (value, escaped) => {
    expect(renderSubmitDescription([job({ commands: { batch_name: s.string(value) } })])).toContain(
      `batch_name = ${escaped}\n`,
    );
  });
});

describe('classAdLiteral', () => {
  it('quotes plain identifiers', () => {
    expect(classAdLiteral('default/job-1')).toBe('"default/job-1"');
  });

  it.each(['a"b', 'a\\b', 'a\nb'])('refuses %j', (value) => {
    expect(() => classAdLiteral(value)).toThrow(SubmitDescriptionError);
  });
});
