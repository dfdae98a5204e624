import { describe, expect, it } from '@jest/globals';
import {
  expandSubmitTable,
  renderSubmitDescriptions,
  renderSubmitTable,
} from '../../condor/submit-description.js';
import { makeHPCJobSet } from '../../../test/support/builders/hpcjobset.js';
import { buildSetTable } from './set-jobs.js';

const opts = { operatorId: 'op', wrapperPath: '/w/hpc-wrapper.sh', attemptDir: '/logs/ns/hpcjobset_sweep/1' };
const decodeWords = (v: string) =>
  v
    .replace(/^'|'$/g, '')
    .split('.')
    .map((w) => Buffer.from(w, 'base64').toString('utf8'));

/** Each proc's lines of a description: the lines before `queue`, with the macros of its table row put in. */
function procs(description: string): string[][] {
  const lines = description.split('\n');
  const q = lines.findIndex((l) => l.startsWith('queue '));
  const names = lines[q]!.slice('queue '.length, -' from ('.length).split(',');
  return rows(description).map((row) =>
    lines
      .slice(0, q)
      .map((l) => l.replace(/\$\((HPCV\d+)\)/g, (_, m: string) => row[names.indexOf(m)]!))
      .sort(),
  );
}

/** The table rows of a description, each split into its fields. */
function rows(description: string): string[][] {
  const lines = description.split('\n');
  const start = lines.findIndex((l) => l.startsWith('queue '));
  return lines.slice(start + 1, lines.indexOf(')', start)).map((l) => l.split(','));
}

describe("an HPCJobSet's jobs", () => {
  it('go in ONE description (one cluster) whose table has a row per index', () => {
    const set = makeHPCJobSet().spec({ count: 50 }).obj();
    const entries = Array.from({ length: 50 }, (_, index) => ({ index, attempt: index === 7 ? 2 : 1 }));
    const description = renderSubmitTable(buildSetTable(set, entries, opts));
    expect(rows(description)).toHaveLength(50);
    expect(description.match(/^queue /gm)).toHaveLength(1);
  });

  it('give each proc what the same jobs rendered one object each would give it', () => {
    const set = makeHPCJobSet()
      .items([{ v: 'x' }, { v: 'y y' }, { v: 'z' }])
      .template({ args: ['$(HPC_ITEM_v)', '$(HPC_INDEX)'] })
      .obj();
    const entries = [
      { index: 0, attempt: 1 },
      { index: 2, attempt: 4 },
      { index: 1, attempt: 2 },
    ];
    const table = buildSetTable(set, entries, opts);
    const [one, ...more] = renderSubmitDescriptions(expandSubmitTable(table));
    expect(more).toHaveLength(0);
    expect(procs(renderSubmitTable(table))).toEqual(procs(one!.description));
    expect(procs(one!.description)[1]).toContain('output = hpc-2.stdout');
  });

  it('carry hostile item values as data: base64 in one row token, the same bytes at the step', () => {
    const hostile = 'a b,c\n$(DOLLAR) "q" \'x\' \\';
    const set = makeHPCJobSet()
      .items([{ v: hostile }, { v: 'plain' }])
      .template({ args: ['$(HPC_ITEM_v)', 'fixed'] })
      .obj();
    const table = buildSetTable(
      set,
      [
        { index: 0, attempt: 1 },
        { index: 1, attempt: 1 },
      ],
      opts,
    );
    const description = renderSubmitTable(table);
    expect(description).not.toContain('DOLLAR) "q"');
    const header = description.split('\n').find((l) => l.startsWith('queue '))!;
    const names = header.slice('queue '.length, -' from ('.length).split(',');
    const row0 = rows(description)[0]!;
    const field = (macro: string) => row0[names.indexOf(macro)] as string;
    const env = description.split('\n').find((l) => l.startsWith('environment = '))!;
    const macroOf = (name: string) => new RegExp(`${name}=\\$\\((HPCV\\d+)\\)`).exec(env)![1]!;
    expect(decodeWords(field(macroOf('HPC_ARGV')))).toEqual(['echo', hostile, 'fixed']);
    expect(decodeWords(field(macroOf('HPC_ENV')))).toEqual(['HPC_INDEX=0', `HPC_ITEM_v=${hostile}`]);
  });

  it('tag each job with the set, its index and attempt, and name its output after the index', () => {
    const set = makeHPCJobSet().obj();
    const [job] = expandSubmitTable(buildSetTable(set, [{ index: 2, attempt: 3 }], opts));
    expect(job!.attributes).toMatchObject({
      HPCJobUID: 'uid-sweep',
      HPCJobAttempt: 3,
      HPCJobSetIndex: 2,
      HPCJobRef: 'hpcjobset:ns/sweep',
    });
    expect(job!.commands.output).toEqual({ kind: 'string', value: 'hpc-2.stdout' });
    expect(job!.commands.batch_name).toEqual({ kind: 'string', value: 'ns/sweep' });
  });

  it('on a VirtualCluster run only on its pilots, and only where an index has the time it needs', () => {
    const set = makeHPCJobSet()
      .template({ virtualClusterRef: { name: 'vc' } })
      .obj();
    const entries = [{ index: 0, attempt: 1 }];
    const table = buildSetTable(set, entries, {
      ...opts,
      virtualCluster: 'ns/vc',
      walltimeNeededSeconds: 1260,
    });
    const [job] = expandSubmitTable(table);
    expect(job!.attributes).toMatchObject({ HPCVirtualCluster: 'ns/vc', HPCWalltimeNeeded: 1260 });
    const description = renderSubmitTable(table);
    expect(description).toContain('TARGET.VirtualCluster =?= MY.HPCVirtualCluster');
    expect(description).toContain('TARGET.HPCPilotEnd - time() >= MY.HPCWalltimeNeeded');
    const [plain] = expandSubmitTable(buildSetTable(makeHPCJobSet().obj(), entries, opts));
    expect(plain!.attributes.HPCVirtualCluster).toBeNull();
  });
});
