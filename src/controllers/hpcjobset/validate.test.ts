/**
 * A set whose template the operator would refuse as an HPCJob's spec (stored while the admission webhook was
 * away, or before it reviewed sets) is refused before anything is submitted, as an HPCJob is.
 */
import { describe, expect, it } from '@jest/globals';
import { makeHPCJobSet, observeSet, setSettings } from '../../../test/support/builders/hpcjobset.js';
import { transitionSet } from './transition.js';

const settings = setSettings({ maxOutputBytesCeiling: 1024 });

describe('HPCJobSet transition: a template the operator refuses', () => {
  it('fails the set (Accepted=False, InvalidSpec) naming the field under spec.template, and submits nothing', () => {
    const set = makeHPCJobSet().template({ requirements: 'TARGET.Memory >' }).obj();
    const t = transitionSet(set, observeSet().obj(), settings);
    expect(t.afterWrite.filter((e) => e.kind === 'submit')).toEqual([]);
    expect(t.status.phase).toBe('Failed');
    expect(t.status.conditions).toContainEqual(
      expect.objectContaining({
        type: 'Accepted',
        status: 'False',
        reason: 'InvalidSpec',
        message: expect.stringMatching(/^spec\.template\.requirements: HTCondor cannot parse it/),
      }),
    );
  });

  it('refuses more output than the operator allows (--max-output-bytes-ceiling)', () => {
    const set = makeHPCJobSet()
      .template({ workspace: { path: '/reana/users/u/workflows/w', maxOutputBytes: 4096 } })
      .obj();
    const t = transitionSet(set, observeSet().obj(), settings);
    expect(t.status.message).toMatch(
      /^spec\.template\.workspace\.maxOutputBytes is 4096; this operator allows at most 1024/,
    );
  });

  it('refuses an index whose environment would not fit in a job environment variable, naming its item', () => {
    const env = [{ name: 'BIG', value: 'x'.repeat(80 * 1024) }];
    const large = Object.fromEntries(Array.from({ length: 32 }, (_, k) => [`k${k}`, 'z'.repeat(1024)]));
    const set = makeHPCJobSet()
      .items([{ a: '1' }, large])
      .template({ env })
      .obj();
    const t = transitionSet(set, observeSet().obj(), settings);
    expect(t.status.phase).toBe('Failed');
    expect(t.status.message).toMatch(/^spec\.items\[1\]: index 1's environment/);
  });

  it('does not judge a set again once it was accepted (what is judged is immutable)', () => {
    const set = makeHPCJobSet()
      .template({ requirements: 'TARGET.Memory >' })
      .status({
        conditions: [
          {
            type: 'Accepted',
            status: 'True',
            reason: 'Valid',
            message: '',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      })
      .obj();
    const t = transitionSet(set, observeSet().obj(), settings);
    expect(t.status.phase).toBe('Running');
  });
});
