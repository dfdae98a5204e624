import { describe, expect, it } from '@jest/globals';
import { makeHPCJob } from '../../test/support/builders/hpcjob.js';
import { makeVirtualCluster } from '../../test/support/builders/virtualcluster.js';
import { reviewHPCJob, reviewVirtualCluster, type Found, type Reference } from './review.js';

const settings = { maxOutputBytesCeiling: 1024, virtualClusterWaitSeconds: 600 };
const WS = '/reana/users/u/workflows/w';
const warnings = (refs: Reference[], found: Found) => refs.map((r) => r.warning(found));

describe('reviewHPCJob', () => {
  it('allows a good spec and names nothing to look up', () => {
    expect(reviewHPCJob(makeHPCJob().obj(), undefined, settings)).toEqual({ denials: [], references: [] });
  });

  it('denies every problem the operator would find, each message starting with its field', () => {
    const job = makeHPCJob()
      .spec({ requirements: 'TARGET.Memory >', workspace: { path: WS, maxOutputBytes: 4096 } })
      .obj();
    expect(reviewHPCJob(job, undefined, settings).denials).toEqual([
      'spec.requirements: HTCondor cannot parse it: expected an operand at column 16, found the end of the expression',
      'spec.workspace.maxOutputBytes is 4096; this operator allows at most 1024 (--max-output-bytes-ceiling)',
    ]);
  });

  it('judges an update only on what it changes', () => {
    const old = makeHPCJob().spec({ requirements: 'TARGET.Memory >' }).obj();
    // The spec did not change (a finalizer or status write, a label): allowed, even with an old problem.
    const relabelled = structuredClone(old);
    relabelled.metadata.labels = { a: 'b' };
    expect(reviewHPCJob(relabelled, old, settings)).toEqual({ denials: [], references: [] });
    // A change elsewhere does not get blocked by the problem the old spec had already.
    const suspended = structuredClone(old);
    suspended.spec.suspend = true;
    expect(reviewHPCJob(suspended, old, settings).denials).toEqual([]);
    // A new problem is denied.
    const worse = structuredClone(suspended);
    worse.spec.workspace = { path: WS, maxOutputBytes: 4096 };
    expect(reviewHPCJob(worse, old, settings).denials).toEqual([
      expect.stringMatching(/^spec.workspace.maxOutputBytes is 4096/),
    ]);
  });

  it('warns about a VirtualCluster that does not exist, and a chirp ticket Secret missing, keyless or unreadable', () => {
    const job = makeHPCJob('step', 'team')
      .virtualCluster('vc-1')
      .spec({
        workspace: {
          path: WS,
          staging: 'cctools',
          chirp: { server: 'chirp.example:9094', ticketSecretRef: { name: 'ticket' } },
        },
      })
      .obj();
    const { denials, references } = reviewHPCJob(job, undefined, settings);
    expect(denials).toEqual([]);
    expect(references.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'VirtualCluster team/vc-1',
      'Secret team/ticket',
    ]);
    expect(warnings(references, { state: 'missing' })).toEqual([
      'spec.virtualClusterRef: VirtualCluster "vc-1" does not exist in namespace team (yet): the HPCJob waits for it, and fails after 600 s without it',
      'spec.workspace.chirp.ticketSecretRef: Secret ticket does not exist (yet)',
    ]);
    expect(references[1]?.warning({ state: 'found', data: { other: 'x' } })).toBe(
      'spec.workspace.chirp.ticketSecretRef: Secret ticket has no key ticket',
    );
    expect(
      references[1]?.warning({ state: 'forbidden', message: 'the operator may not read Secret team/ticket' }),
    ).toBe('spec.workspace.chirp.ticketSecretRef: the operator may not read Secret team/ticket');
    expect(warnings(references, { state: 'found', data: { ticket: 't' } })).toEqual([undefined, undefined]);
    expect(warnings(references, { state: 'unknown' })).toEqual([undefined, undefined]);
  });

  it('does not look up a ticket that chirp staging does not read', () => {
    const job = makeHPCJob()
      .spec({
        workspace: { path: WS, staging: 'chirp', chirp: { server: 'c:1', ticketSecretRef: { name: 't' } } },
      })
      .obj();
    expect(reviewHPCJob(job, undefined, settings).references).toEqual([]);
  });
});

describe('reviewVirtualCluster', () => {
  it('denies a lifetime no date can carry, and warns about the Secrets it names', () => {
    const vc = makeVirtualCluster('vc', 'team')
      .lifetime('9999999d')
      .allocation((a) => a.name('site1').secret('ssh-site1'))
      .obj();
    const { denials, references } = reviewVirtualCluster(vc, undefined);
    expect(denials).toEqual([expect.stringMatching(/^spec.lifetime "9999999d" /)]);
    expect(warnings(references, { state: 'missing' })).toEqual([
      'spec.pool.pilotTokenSecretRef: Secret pilot-token does not exist (yet)',
      'spec.allocations[0].credentials.secretName: Secret ssh-site1 does not exist (yet)',
    ]);
    // A Secret that exists is judged as the operator will judge it when it logs in.
    expect(references[1]?.warning({ state: 'found', data: {} })).toBe(
      'spec.allocations[0].credentials.secretName: Secret ssh-site1 has no ssh-privatekey',
    );
    expect(references[0]?.warning({ state: 'found', data: { token: 'x' } })).toBeUndefined();
  });

  it('warns about the pool signing key Secret of minted pilot tokens, and its key', () => {
    const vc = makeVirtualCluster('vc', 'team')
      .pool({
        pilotTokenSecretRef: undefined,
        pilotTokens: { signingKeySecretRef: { name: 'pool-key' }, trustDomain: 'pool.example' },
      })
      .noAllocations()
      .obj();
    const { denials, references } = reviewVirtualCluster(vc, undefined);
    expect(denials).toEqual([]);
    expect(warnings(references, { state: 'missing' })).toEqual([
      'spec.pool.pilotTokens.signingKeySecretRef: Secret pool-key does not exist (yet)',
    ]);
    expect(references[0]?.warning({ state: 'found', data: { token: 'x' } })).toBe(
      'spec.pool.pilotTokens.signingKeySecretRef: Secret pool-key has no key POOL',
    );
  });
});
