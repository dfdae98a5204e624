import { describe, expect, it } from '@jest/globals';
import { renderSubmitDescriptions } from '../../condor/submit-description.js';
import { makeHPCJobSet } from '../../../test/support/builders/hpcjobset.js';
import { buildSetJobs } from './set-jobs.js';

const opts = { operatorId: 'op', wrapperPath: '/w/hpc-wrapper.sh', attemptDir: '/logs/ns/hpcjobset_sweep/1' };
const decodeWords = (v: string) =>
  v
    .replace(/^'|'$/g, '')
    .split('.')
    .map((w) => Buffer.from(w, 'base64').toString('utf8'));

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
    const batches = renderSubmitDescriptions(buildSetJobs(set, entries, opts));
    expect(batches).toHaveLength(1);
    expect(rows(batches[0]!.description)).toHaveLength(50);
  });

  it('carry hostile item values as data: base64 in one row token, the same bytes at the step', () => {
    const hostile = 'a b,c\n$(DOLLAR) "q" \'x\' \\';
    const set = makeHPCJobSet()
      .items([{ v: hostile }, { v: 'plain' }])
      .template({ args: ['$(HPC_ITEM_v)', 'fixed'] })
      .obj();
    const jobs = buildSetJobs(
      set,
      [
        { index: 0, attempt: 1 },
        { index: 1, attempt: 1 },
      ],
      opts,
    );
    const [batch, ...rest] = renderSubmitDescriptions(jobs);
    expect(rest).toHaveLength(0);
    const description = batch!.description;
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
    const [job] = buildSetJobs(set, [{ index: 2, attempt: 3 }], opts);
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
    const [job] = buildSetJobs(set, entries, {
      ...opts,
      virtualCluster: 'ns/vc',
      walltimeNeededSeconds: 1260,
    });
    expect(job!.attributes).toMatchObject({ HPCVirtualCluster: 'ns/vc', HPCWalltimeNeeded: 1260 });
    const requirements = renderSubmitDescriptions([job!])[0]!.description;
    expect(requirements).toContain('TARGET.VirtualCluster =?= MY.HPCVirtualCluster');
    expect(requirements).toContain('TARGET.HPCPilotEnd - time() >= MY.HPCWalltimeNeeded');
    const [plain] = buildSetJobs(makeHPCJobSet().obj(), entries, opts);
    expect(plain!.attributes.HPCVirtualCluster).toBeNull();
  });
});
