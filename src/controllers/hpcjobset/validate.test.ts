/**
 * A set whose template the operator would refuse as an HPCJob's spec (stored while the admission webhook was
 * away, or before it reviewed sets) is refused before anything is submitted, as an HPCJob is.
 */
import { describe, expect, it } from '@jest/globals';
import { makeHPCJobSet, observeSet } from '../../../test/support/builders/hpcjobset.js';
import { transitionSet } from './transition.js';

const settings = { forceRemovalAfterMs: 60_000, maxOutputBytesCeiling: 1024 };

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
});
