import { describe, expect, it } from '@jest/globals';
import { makeHPCJobSet } from '../../test/support/builders/hpcjobset.js';
import { MAX_INDEX_RECORDS, MAX_ITEM_VALUE } from '../crds/hpcjobset.js';
import type { Found, Reference } from './review.js';
import { ETCD_OBJECT_BYTES, reviewHPCJobSet, sizeWarning, statusRoom } from './set-review.js';

const settings = { maxOutputBytesCeiling: 1024, virtualClusterWaitSeconds: 600 };
const WS = '/reana/users/u/workflows/w';
const warnings = (refs: Reference[], found: Found) => refs.map((r) => r.warning(found));

describe('reviewHPCJobSet', () => {
  it('allows a good set and names nothing to look up', () => {
    expect(reviewHPCJobSet(makeHPCJobSet().obj(), undefined, settings)).toEqual({
      denials: [],
      references: [],
    });
  });

  it("denies what an HPCJob's spec would be denied for, with its field under spec.template", () => {
    const set = makeHPCJobSet()
      .template({
        requirements: 'TARGET.Memory >',
        image: 'ftp://x',
        workspace: { path: WS, maxOutputBytes: 4096 },
      })
      .obj();
    expect(reviewHPCJobSet(set, undefined, settings).denials).toEqual([
      'spec.template.requirements: HTCondor cannot parse it: expected an operand at column 16, found the end of the expression',
      'spec.template.image "ftp://x": unknown scheme (use docker://, oras://, shifter://, dir:// or an absolute path)',
      'spec.template.workspace.maxOutputBytes is 4096; this operator allows at most 1024 (--max-output-bytes-ceiling)',
    ]);
  });

  it('denies an item key that cannot become an HPC_ITEM_<KEY> variable, naming the item', () => {
    const set = makeHPCJobSet()
      .items([{ energy: '1' }, { 'bad-key': '2' }])
      .obj();
    expect(reviewHPCJobSet(set, undefined, settings).denials).toEqual([
      'spec.items[1]: key "bad-key" is not a name (letters, digits and _, not starting with a digit, at most 64 characters): it becomes HPC_ITEM_<KEY>',
    ]);
  });

  it("denies an item whose variables, with the template's env, would not fit in a job environment variable", () => {
    const env = [{ name: 'BIG', value: 'x'.repeat(80 * 1024) }];
    const large = Object.fromEntries(
      Array.from({ length: 32 }, (_, k) => [`k${k}`, 'z'.repeat(MAX_ITEM_VALUE)]),
    );
    const set = makeHPCJobSet()
      .items([{ a: '1' }, large])
      .template({ env })
      .obj();
    expect(reviewHPCJobSet(set, undefined, settings).denials).toEqual([
      expect.stringMatching(
        /^spec\.items\[1\]: index 1's environment .* at most 122880 fit in a job environment variable$/,
      ),
    ]);
  });

  it('judges an update only on what it changes', () => {
    const old = makeHPCJobSet()
      .items([{ 'bad-key': '1' }])
      .obj();
    const relabelled = structuredClone(old);
    relabelled.metadata.labels = { a: 'b' };
    expect(reviewHPCJobSet(relabelled, old, settings)).toEqual({ denials: [], references: [] });
    // Suspending a set stored before the check is allowed; a new problem is not.
    const suspended = structuredClone(old);
    suspended.spec.suspend = true;
    expect(reviewHPCJobSet(suspended, old, settings).denials).toEqual([]);
    const worse = structuredClone(suspended);
    worse.spec.template.requirements = '(x';
    expect(reviewHPCJobSet(worse, old, settings).denials).toEqual([
      expect.stringMatching(/^spec\.template\.requirements: /),
    ]);
  });

  it("looks up the template's chirp ticket Secret and VirtualCluster, warning under spec.template", () => {
    const set = makeHPCJobSet('sweep', 'team')
      .template({
        virtualClusterRef: { name: 'vc-1' },
        workspace: {
          path: WS,
          staging: 'cctools',
          chirp: { server: 'chirp.example:9094', ticketSecretRef: { name: 'ticket', key: 't' } },
        },
      })
      .obj();
    const { denials, references } = reviewHPCJobSet(set, undefined, settings);
    expect(denials).toEqual([]);
    expect(references.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'VirtualCluster team/vc-1',
      'Secret team/ticket',
    ]);
    expect(warnings(references, { state: 'missing' })).toEqual([
      'spec.template.virtualClusterRef: VirtualCluster "vc-1" does not exist in namespace team (yet): the HPCJobSet waits for it, and fails after 600 s without it',
      'spec.template.workspace.chirp.ticketSecretRef: Secret ticket does not exist (yet)',
    ]);
    expect(references[1]?.warning({ state: 'found', data: { ticket: 'x' } })).toBe(
      'spec.template.workspace.chirp.ticketSecretRef: Secret ticket has no key t',
    );
    expect(warnings(references, { state: 'found', data: { t: 'x' } })).toEqual([undefined, undefined]);
  });
});

describe('the size warning', () => {
  it('bounds the status by each index named once in its lists, and the attempt records', () => {
    expect(statusRoom(0)).toBe(0);
    // 0..9: one digit and a separator each; ten records.
    expect(statusRoom(10)).toBe(10 * 2 + 10 * 700);
    // 100,000 indices: five digits and a separator, records capped.
    expect(statusRoom(100_000)).toBe(100_000 * 6 + MAX_INDEX_RECORDS * 700);
  });

  it('is silent for an ordinary set, even one of the most indices by count', () => {
    expect(sizeWarning(makeHPCJobSet().spec({ count: 100_000 }).obj())).toBeUndefined();
    expect(reviewHPCJobSet(makeHPCJobSet().spec({ count: 100_000 }).obj(), undefined, settings)).toEqual({
      denials: [],
      references: [],
    });
  });

  it('warns (and allows) when the items and the status they can need pass what etcd stores', () => {
    // 1,000 items of one long value: about 1 MiB of spec, and room for 1,000 records.
    const items = Array.from({ length: 1000 }, () => ({ path: 'x'.repeat(MAX_ITEM_VALUE) }));
    const set = makeHPCJobSet().items(items).obj();
    const verdict = reviewHPCJobSet(set, undefined, settings);
    expect(verdict.denials).toEqual([]);
    expect(verdict.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^spec: the set is \\d+ bytes and the status of 1000 indices can take ${statusRoom(1000)} more: above the ${ETCD_OBJECT_BYTES} bytes etcd stores per object`,
        ),
      ),
    ]);
    expect((verdict.warnings?.[0] ?? '').length).toBeLessThanOrEqual(256);
    // A tenth of them fits.
    expect(sizeWarning(makeHPCJobSet().items(items.slice(0, 100)).obj())).toBeUndefined();
  });
});
