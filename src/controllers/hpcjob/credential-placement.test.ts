/**
 * A new attempt is not placed on a VirtualCluster whose credentials (status.credentialExpiresAt) expire before
 * the step's walltime and margin would end: it waits with VirtualClusterReady=False (CredentialsExpire) and a
 * Warning, goes once they are renewed, and fails after --virtual-cluster-wait-seconds. An attempt already
 * submitted is never touched. Pure: objects from builders.
 */
import { describe, expect, it } from '@jest/globals';
import type { HPCJob } from '../../crds/hpcjob.js';
import {
  T0,
  defaultSettings,
  iso,
  makeHPCJob,
  makeTrackedJob,
  observe,
} from '../../../test/support/builders/hpcjob.js';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import { observedTarget, placementForNew } from './placement.js';
import { transition } from './transition.js';

const settings = defaultSettings();
const HOUR = 3_600_000;

/** A Running VirtualCluster whose pilots live 4 h, with a 2m margin and credentials valid until `expiresAt`. */
function vcExpiring(expiresAt?: number, defaultWalltime?: string) {
  const vc = makeVirtualCluster('slurm-site', 'ns')
    .allocation((a) => a.set({ walltime: '4h' }))
    .status((s) => {
      s.phase('Running');
      if (expiresAt !== undefined) s.set({ credentialExpiresAt: iso(expiresAt) });
    })
    .obj();
  vc.spec.steps = { walltimeMargin: '2m', ...(defaultWalltime ? { defaultWalltime } : {}) };
  return vc;
}

const step = (walltime?: string): HPCJob =>
  makeHPCJob('s', 'ns')
    .virtualCluster('slurm-site')
    .spec({ resources: walltime ? { walltime } : {} })
    .obj();
const conditionOf = (t: ReturnType<typeof transition>, type: string) =>
  t.status.conditions?.find((c) => c.type === type);
const submits = (t: ReturnType<typeof transition>) => t.afterWrite.filter((e) => e.kind === 'submit');

const EXPECTED =
  "VirtualCluster slurm-site's credentials expire at 2026-12-01T11:00:00Z, before this step would end: it needs a pilot for 7320s (its walltime and the VirtualCluster's margin); renew the credentials, or run the step again with a shorter resources.walltime";

describe('a new attempt on a VirtualCluster whose credentials expire before the step would end', () => {
  it('is not submitted: it waits with CredentialsExpire, a message naming the expiry and the need, and one Warning', () => {
    const vc = vcExpiring(T0 + HOUR);
    const t = transition(step('2h'), observe().virtualCluster(vc).obj(), settings);
    expect(submits(t)).toEqual([]);
    expect(t.status.phase).toBe('Pending');
    expect(t.status.schedd).toBeUndefined();
    expect(conditionOf(t, 'VirtualClusterReady')).toMatchObject({
      status: 'False',
      reason: 'CredentialsExpire',
      message: EXPECTED,
    });
    expect(t.status.message).toBe(`waiting: ${EXPECTED}`);
    expect(t.events).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'CredentialsExpire', note: EXPECTED }),
    ]);
    expect(t.requeueAfterMs).toBe(10_000);

    // Still waiting a minute later: the same status (nothing in it changes with time), no second Warning.
    const again = transition(
      { ...step('2h'), status: t.status },
      observe()
        .virtualCluster(vc)
        .at(T0 + 60_000)
        .obj(),
      settings,
    );
    expect(submits(again)).toEqual([]);
    expect(again.status).toEqual(t.status);
    expect(again.events).toEqual([]);
  });

  it('says expired when they already have', () => {
    const p = placementForNew(step('10m'), vcExpiring(T0 - 1000), settings, T0);
    expect(p).toMatchObject({ usable: false, reason: 'CredentialsExpire' });
    expect(!p.usable && p.why).toMatch(/credentials expired at 2026-12-01T09:59:59Z, before this step/);
  });

  it('counts the VirtualCluster default walltime for a step without one', () => {
    const p = placementForNew(step(), vcExpiring(T0 + HOUR, '2h'), settings, T0);
    expect(p).toMatchObject({ usable: false, reason: 'CredentialsExpire' });
  });

  it('is not on the VirtualCluster: its schedd is not looked at while it waits', () => {
    expect(observedTarget(step('2h'), vcExpiring(T0 + HOUR), settings, T0)).toBeUndefined();
    expect(observedTarget(step('30m'), vcExpiring(T0 + HOUR), settings, T0)).toEqual({
      name: settings.defaultTarget.name,
      pool: 'cm.example:9618',
    });
  });
});

describe('a new attempt on a VirtualCluster whose credentials last long enough', () => {
  it('is placed when they expire after its walltime and margin', () => {
    // 2h + 2m = 7320 s: credentials that end exactly then are enough.
    for (const expiresAt of [T0 + 7320_000, T0 + 3 * HOUR]) {
      const t = transition(step('2h'), observe().virtualCluster(vcExpiring(expiresAt)).obj(), settings);
      expect(submits(t)).toHaveLength(1);
      expect(conditionOf(t, 'VirtualClusterReady')).toMatchObject({ status: 'True', reason: 'Found' });
      expect(t.events).toEqual([]);
    }
    expect(placementForNew(step('2h'), vcExpiring(T0 + 7319_000), settings, T0).usable).toBe(false);
  });

  it('is placed without a walltime (none of its own, no VirtualCluster default): nothing to compare', () => {
    const t = transition(
      step(),
      observe()
        .virtualCluster(vcExpiring(T0 + 60_000))
        .obj(),
      settings,
    );
    expect(submits(t)).toHaveLength(1);
    expect(conditionOf(t, 'VirtualClusterReady')?.reason).toBe('Found');
  });

  it('is placed when the credentials have no expiry', () => {
    const t = transition(step('2h'), observe().virtualCluster(vcExpiring()).obj(), settings);
    expect(submits(t)).toHaveLength(1);
  });

  it('is placed once the credentials are renewed (the VirtualCluster status changes)', () => {
    const waiting = transition(
      step('2h'),
      observe()
        .virtualCluster(vcExpiring(T0 + HOUR))
        .obj(),
      settings,
    );
    expect(conditionOf(waiting, 'VirtualClusterReady')?.reason).toBe('CredentialsExpire');
    const renewed = vcExpiring(T0 + 12 * HOUR);
    const t = transition(
      { ...step('2h'), status: waiting.status },
      observe()
        .virtualCluster(renewed)
        .at(T0 + 120_000)
        .obj(),
      settings,
    );
    expect(submits(t)).toEqual([
      expect.objectContaining({ attempt: 1, virtualCluster: 'ns/slurm-site', walltimeNeededSeconds: 7320 }),
    ]);
    expect(conditionOf(t, 'VirtualClusterReady')).toMatchObject({
      status: 'True',
      reason: 'Found',
      message: 'VirtualCluster slurm-site is Running',
    });
  });
});

describe('the wait for credentials', () => {
  it('fails the HPCJob after --virtual-cluster-wait-seconds from its creation, saying why', () => {
    const vc = vcExpiring(T0 + 2 * HOUR);
    const first = transition(step('2h'), observe().virtualCluster(vc).obj(), settings);
    const late = transition(
      { ...step('2h'), status: first.status },
      observe()
        .virtualCluster(vc)
        .at(T0 + 601_000)
        .obj(),
      settings,
    );
    expect(submits(late)).toEqual([]);
    expect(late.status.phase).toBe('Failed');
    expect(conditionOf(late, 'Failed')).toMatchObject({
      reason: 'VirtualClusterUnavailable',
      message: expect.stringMatching(
        /^VirtualCluster slurm-site's credentials expire at 2026-12-01T12:00:00Z, before this step would end: .* \(waited 600 s\)$/,
      ),
    });
  });
});

describe('an attempt already submitted', () => {
  it('is never touched: an idle job stays queued, a running one runs', () => {
    const job = makeHPCJob('s', 'ns')
      .virtualCluster('slurm-site')
      .spec({ resources: { walltime: '2h' } })
      .submitted(1, '7.0', {}, 'vc-schedd')
      .status({ virtualCluster: 'ns/slurm-site', pool: 'cm.example:9618' })
      .obj();
    const vc = vcExpiring(T0 + 60_000);
    const idle = makeTrackedJob(job, 1, '7.0').obj();
    const running = makeTrackedJob(job, 1, '7.0').running().obj();
    for (const current of [idle, running]) {
      const t = transition(
        job,
        observe()
          .virtualCluster(vc)
          .current(current)
          .at(T0 + 2 * HOUR)
          .obj(),
        settings,
      );
      expect(t.afterWrite.map((e) => e.kind)).not.toContain('remove');
      expect(t.status.phase).toBe(current === idle ? 'Queued' : 'Running');
      expect(conditionOf(t, 'VirtualClusterReady')?.reason).not.toBe('CredentialsExpire');
    }
  });
});
