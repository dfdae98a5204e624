import { describe, expect, it } from '@jest/globals';
import {
  SubmitDescriptionError,
  classAdLiteral,
  expr,
  renderSubmitDescription,
  renderSubmitDescriptions,
  renderSubmitTable,
  s,
  type SubmitJob,
  type SubmitTable,
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

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** True when a `$` is left that is not part of a $(DOLLAR) escape. */
function unescapedDollars(line: string): boolean {
  return line.replace(/\$\(DOLLAR\)/g, '').includes('$');
}

describe('renderSubmitDescriptions', () => {
  it('writes one job as plain commands and a single queue', () => {
    expect(
      renderSubmitDescription([
        job({
          commands: {
            executable: s.string('/bin/echo'),
            arguments: s.args(['a b']),
            environment: s.env({ A: 'x' }),
          },
          attributes: { Tag: 'u' },
        }),
      ]),
    ).toBe(
      [
        'arguments = "\'a b\'"',
        'executable = /bin/echo',
        'MY.Tag = "u"',
        'environment = "A=\'x\'"',
        'queue 1',
        '',
      ].join('\n'),
    );
  });

  it('writes what jobs share once and what differs as columns of one queue table', () => {
    const batches = renderSubmitDescriptions([
      job({
        commands: {
          executable: s.string('/bin/true'),
          request_memory: s.int(100),
          environment: s.env({ A: 'a0', B: 'only0' }),
        },
        attributes: { HPCJobUID: 'u0', N: 0 },
      }),
      job({
        commands: {
          executable: s.string('/bin/true'),
          request_memory: s.int(200),
          environment: s.env({ A: 'a1' }),
        },
        attributes: { HPCJobUID: 'u1' },
      }),
    ]);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.jobs).toEqual([0, 1]);
    expect(batches[0]?.description).toBe(
      [
        'executable = /bin/true',
        'request_memory = $(HPCV0)',
        'MY.HPCJobUID = $(HPCV3)',
        'MY.N = $(HPCV4)',
        'environment = "A=$(HPCV1) B=$(HPCV2)"',
        'queue HPCV0,HPCV1,HPCV2,HPCV3,HPCV4 from (',
        // A job without a variable gets it empty, without an attribute gets it undefined.
        `100,'a0','only0',"u0",0`,
        `200,'a1','',"u1",undefined`,
        ')',
        '',
      ].join('\n'),
    );
  });

  it('splits a batch where differing values cannot sit in a table row, keeping the job order', () => {
    const batches = renderSubmitDescriptions([
      job({ commands: { requirements: s.expr(expr('(TARGET.Memory > 1)')) }, attributes: { I: 0 } }),
      job({ commands: { requirements: s.expr(expr('(TARGET.Memory > 2)')) }, attributes: { I: 1 } }),
      job({ commands: { requirements: s.expr(expr('(TARGET.Memory > 1)')) }, attributes: { I: 2 } }),
    ]);
    expect(batches.map((b) => b.jobs)).toEqual([[0, 2], [1]]);
    expect(batches[0]?.description).toContain('requirements = (TARGET.Memory > 1)\n');
    expect(batches[0]?.description).toContain('queue HPCV0 from (\n0\n2\n)\n');
    expect(batches[1]?.description).toContain('queue 1\n');
    expect(() =>
      renderSubmitDescription([
        job({ commands: { output: s.string('a b') } }),
        job({ commands: { output: s.string('c') } }),
      ]),
    ).toThrow(/need 2 descriptions/);
  });

  it.each(HOSTILE)('keeps %j as data in a ClassAd string attribute', (value) => {
    const body = lines(renderSubmitDescription([job({ attributes: { HPCNote: value } })]));
    expect(body).toHaveLength(3);
    expect(body[2]).toBe('queue 1');
    const line = body[1] as string;
    expect(line.startsWith('MY.HPCNote = "')).toBe(true);
    expect(line.endsWith('"')).toBe(true);
    expect(unescapedDollars(line)).toBe(false);
    // In the old ClassAd syntax only \" escapes: every quote inside must be one.
    expect(line.slice('MY.HPCNote = "'.length, -1)).not.toMatch(/(^|[^\\])"/);
  });

  it.each([...LINE_BREAKING, 'ctrl\x01char', 'ends with\\', 'quote after \\" backslash'])(
    'refuses %j in a ClassAd string, which the submit syntax cannot carry',
    (value) => {
      expect(() => renderSubmitDescription([job({ attributes: { HPCNote: value } })])).toThrow(
        SubmitDescriptionError,
      );
    },
  );

  it.each(HOSTILE)('quotes %j as one argument and one environment value', (value) => {
    const body = lines(
      renderSubmitDescription([
        job({
          commands: {
            executable: s.string('/bin/echo'),
            arguments: s.args([value, 'b']),
            environment: s.env({ V: value }),
          },
        }),
      ]),
    );
    expect(body).toHaveLength(4);
    expect(body[0]).toMatch(/^arguments = "'.*' 'b'"$/s);
    expect(body[2]).toMatch(/^environment = "V='.*'"$/s);
    for (const l of [body[0], body[2]]) expect(unescapedDollars(l as string)).toBe(false);
  });

  it.each(LINE_BREAKING)('refuses %j where a line-based value cannot carry it', (value) => {
    const variants: SubmitJob['commands'][] = [
      { arguments: s.args([value]) },
      { environment: s.env({ V: value }) },
      { batch_name: s.string(value) },
      { requirements: s.expr(expr(value)) },
    ];
    for (const commands of variants) {
      expect(() => renderSubmitDescription([job({ commands })])).toThrow(SubmitDescriptionError);
    }
  });

  it.each(MACROS)('refuses the macro opener %j in every kind of value', (value) => {
    for (const j of [
      job({ attributes: { HPCNote: value } }),
      job({ commands: { arguments: s.args([value]) } }),
      job({ commands: { environment: s.env({ V: value }) } }),
      job({ commands: { batch_name: s.string(value) } }),
      job({ commands: { requirements: s.expr(expr(value)) } }),
      job({ commands: { transfer_input_files: s.list([value]) } }),
    ]) {
      expect(() => renderSubmitDescription([j])).toThrow(/\$\(" or "\$\$/);
    }
  });

  it('never lets a batch of hostile values add a queue line or a command', () => {
    const jobs = [...HOSTILE, ...HOSTILE.map((v) => v.toUpperCase())].map((v, i) =>
      job({
        commands: { arguments: s.args([v]), environment: s.env({ V: v }) },
        attributes: { HPCNote: v, I: i },
      }),
    );
    const batches = renderSubmitDescriptions(jobs);
    expect(batches.flatMap((b) => b.jobs).sort((a, b) => a - b)).toEqual(jobs.map((_, i) => i));
    for (const b of batches) {
      const queueLines = lines(b.description).filter((l) => /^\s*queue\b/i.test(l));
      expect(queueLines).toHaveLength(1);
    }
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
    expect(() => renderSubmitDescriptions([])).toThrow(/nothing to submit/);
  });
});

describe('renderSubmitTable', () => {
  const table = (rows: (string | number)[][]): SubmitTable => ({
    template: job({ attributes: { HPCJobRef: 'set' }, commands: { executable: s.string('/bin/true') } }),
    columns: ['cmd:output', 'env:HPC_ENV', 'attr:HPCJobSetIndex'],
    size: rows.length,
    row: (i) => rows[i] as (string | number)[],
  });

  it('writes the template once and a row of values per proc', () => {
    expect(
      lines(
        renderSubmitTable(
          table([
            ['o0', 'aGk=', 0],
            ['o1', 'aGk.=', 1],
          ]),
        ),
      ),
    ).toEqual([
      'executable = /bin/true',
      'output = $(HPCV0)',
      'MY.HPCJobRef = "set"',
      'MY.HPCJobSetIndex = $(HPCV2)',
      'environment = "HPC_ENV=$(HPCV1)"',
      'queue HPCV0,HPCV1,HPCV2 from (',
      "o0,'aGk=',0",
      "o1,'aGk.=',1",
      ')',
    ]);
  });

  it('refuses a row value that cannot sit in a row, naming the column and the row', () => {
    // HTCondor splits rows at commas and blanks and expands macros in them: such values go base64.
    const unsafe = ['with space', 'a,b', 'tab\there', '$', 'back\\slash', '#x', 'ünïcödé', 'sep\u2028line'];
    for (const bad of [...unsafe, ...LINE_BREAKING, ...MACROS])
      expect(() =>
        renderSubmitTable(
          table([
            ['o0', 'x', 0],
            [bad, 'x', 1],
          ]),
        ),
      ).toThrow(/cmd:output: row 1/);
    expect(() => renderSubmitTable(table([['o0', 'a b', 0]]))).toThrow(/env:HPC_ENV: row 0/);
    expect(() => renderSubmitTable(table([['', 'x', 0]]))).toThrow(/cmd:output: row 0/);
    expect(() => renderSubmitTable(table([['o0', 'x']]))).toThrow(/row 0 has 2 values for 3 columns/);
  });

  it('refuses an empty table and a column name that is not one', () => {
    expect(() => renderSubmitTable(table([]))).toThrow(/nothing to submit/);
    expect(() =>
      renderSubmitTable({ ...table([['o', 'x', 0]]), columns: ['cmd:queue', 'env:A', 'attr:B'] }),
    ).toThrow(/reserved word/);
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
