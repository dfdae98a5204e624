import { describe, expect, it } from '@jest/globals';
import { makeHPCJobSet } from '../../../test/support/builders/hpcjobset.js';
import { MAX_ENV_VALUE } from '../../crds/hpcjob.js';
import { MAX_ITEM_VALUE } from '../../crds/hpcjobset.js';
import { indexPayloadProblem, payloadSizer } from './index-payload.js';
import { buildSetTable } from './set-jobs.js';

const options = { operatorId: 'op', wrapperPath: '/w', attemptDir: '/logs/1' };

describe('the per-index payload', () => {
  it('is sized exactly as set-jobs.ts encodes it (environment and argv of each row), without building it', () => {
    const set = makeHPCJobSet()
      .items([
        { energy: '1.5', label: 'point é' },
        { energy: '2', note: '$(HPC_INDEX)' },
      ])
      .template({
        command: ['python', 'step.py'],
        args: [
          '--energy=$(HPC_ITEM_energy)',
          '$$HOME',
          '$(HPC_ITEM_label)',
          '$(NOT_A_VAR)',
          '-i$(HPC_INDEX)',
        ],
        env: [{ name: 'MODE', value: 'fast ü' }],
      })
      .obj();
    const entries = [0, 1].map((index) => ({ index, attempt: 1 }));
    const table = buildSetTable(set, entries, options);
    const size = payloadSizer(set);
    for (const i of [0, 1]) {
      const row = table.row(i).map(String);
      // The row's columns: stdout, stderr, attempt, environment, attempt, index, argv.
      expect(size(i)).toEqual({ env: row[3]?.length, argv: row[6]?.length });
    }
  });

  it('lets an ordinary set through, even of the most indices by count', () => {
    expect(indexPayloadProblem(makeHPCJobSet().spec({ count: 100_000 }).obj())).toBeUndefined();
  });

  it('refuses an item whose variables, with the template env, do not fit in one environment variable', () => {
    // The template env alone fits (the CRD and the HPCJob checks allow it); with the item's values it does not.
    const env = [{ name: 'BIG', value: 'x'.repeat(MAX_ENV_VALUE * 0.7) }];
    const small = { a: 'y' };
    const large = Object.fromEntries(
      Array.from({ length: 32 }, (_, k) => [`k${k}`, 'z'.repeat(MAX_ITEM_VALUE)]),
    );
    const set = makeHPCJobSet().items([small, large]).template({ env }).obj();
    expect(indexPayloadProblem(set)).toMatch(
      new RegExp(
        `^spec\\.items\\[1\\]: index 1's environment \\(spec\\.template\\.env with HPC_INDEX and its HPC_ITEM_<KEY> variables\\) is \\d+ bytes once encoded; at most ${MAX_ENV_VALUE} fit`,
      ),
    );
    expect(indexPayloadProblem(makeHPCJobSet().items([small]).template({ env }).obj())).toBeUndefined();
  });

  it('refuses args that grow past the limit once an item is put in', () => {
    const args = Array.from({ length: 100 }, () => '$(HPC_ITEM_v)');
    const set = makeHPCJobSet()
      .items([{ v: 'short' }, { v: 'w'.repeat(MAX_ITEM_VALUE) }])
      .template({ command: ['run'], args })
      .obj();
    expect(indexPayloadProblem(set)).toMatch(/^spec\.items\[1\]: index 1's command and args/);
  });
});
