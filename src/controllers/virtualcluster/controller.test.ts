/**
 * The VirtualCluster controller end to end over in-memory ports (test/support/vc-world.ts): observe, decide,
 * act, pass after pass, against fake sites that keep their pilots and tokens. This is where defect 8 of issue
 * 12 is shown on the sites themselves: what a removed or moved allocation left there is cleaned.
 */
import { describe, expect, it } from '@jest/globals';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import { VcWorld } from '../../../test/support/vc-world.js';
import { ApiError } from '../../runtime/kube-api.js';
import { SshError } from '../../sites/ssh.js';
import { VC_FINALIZER } from './reasons.js';

/** A world with VirtualCluster ns/vc: site1 on one.example and site2 on two.example, one pilot each. */
function twoSites(): VcWorld {
  const w = new VcWorld();
  w.objects.put(
    makeVirtualCluster()
      .allocation((a) => a.slurm('one.example').workers({ count: 1 }))
      .allocation((a) => a.slurm('two.example').workers({ count: 1 }))
      .obj(),
  );
  return w;
}

/** Reconciles until the pilots run and joined (moving them along as a batch system would). */
async function settle(w: VcWorld): Promise<void> {
  await w.pass();
  for (const h of w.sites.hosts.values()) h.move('running');
  w.joinRunning();
  await w.pass();
}

const dirOf = (w: VcWorld, allocation: string) =>
  w.vc()?.status?.sites?.find((s) => s.allocation === allocation)?.directory ?? '';

describe('the VirtualCluster controller over in-memory ports', () => {
  it('adds its finalizer, records the places, stores the token, submits pilots and reports Running', async () => {
    const w = twoSites();
    expect(await w.pass()).toEqual({ requeueAfterMs: 5000 });
    const vc = w.vc();
    expect(vc?.metadata.finalizers).toEqual([VC_FINALIZER]);
    expect(vc?.status?.sites?.map((s) => s.loginHost)).toEqual(['one.example', 'two.example']);
    const one = w.sites.host('one.example');
    expect(one.log).toEqual([
      'list',
      `prepare ${dirOf(w, 'site1')}`,
      expect.stringMatching(/^submit hp[0-9a-f]{8}-0$/),
    ]);
    expect(one.hasToken('hpcuser', dirOf(w, 'site1'))).toBe(true);
    expect(w.recorder.reasons()).toEqual(['PilotsSubmitted', 'PilotsSubmitted']);
    expect(w.objects.writes).toEqual(['finalizers ns/vc', 'patch-status ns/vc']);

    for (const h of w.sites.hosts.values()) h.move('running');
    w.joinRunning();
    expect(await w.pass()).toEqual({ requeueAfterMs: 30_000 });
    expect(w.vc()?.status?.phase).toBe('Running');
    expect(await w.registry.getSingleMetricAsString('hpc_virtualcluster_workers')).toContain(
      'hpc_virtualcluster_workers{namespace="ns",name="vc",state="idle"} 2',
    );
    // A steady pass writes nothing and acts on no site.
    const writes = w.objects.writes.length;
    await w.pass();
    expect(w.objects.writes).toHaveLength(writes);
    expect(one.log.filter((l) => l !== 'list')).toHaveLength(2);
  });

  it('throws a 409 on the status write (retried with backoff) and acts on no site then', async () => {
    const w = twoSites();
    w.objects.failNext.set('patch-status', new ApiError(409, 'the object has been modified'));
    await expect(w.pass()).rejects.toMatchObject({ code: 409 });
    expect(w.sites.everywhere()).toEqual([]);
    await w.pass();
    expect(w.sites.everywhere()).toHaveLength(2);
  });

  it('reports what failed on a site on the next pass, and then numbers on without doubling', async () => {
    const w = twoSites();
    w.sites
      .host('two.example')
      .failing.set(
        'submit',
        new SshError('failed', 'remote command failed (exit 1): sbatch: error: invalid account'),
      );
    await w.pass();
    expect(w.sites.host('two.example').jobs).toEqual([]);
    await w.pass();
    expect(w.vc()?.status?.phase).toBe('Degraded');
    expect(w.vc()?.status?.allocations?.[1]?.message).toContain('invalid account');
    w.sites.host('two.example').failing.clear();
    await w.pass();
    await w.pass();
    // Pilots 0 and 1 were numbered (the status said so before each try) but never made: numbers never repeat.
    const two = w.sites.host('two.example');
    expect(two.jobs.map((j) => j.name.split('-')[1])).toEqual(['2']);
    expect(w.vc()?.status?.allocations?.[1]?.message).toBeUndefined();
  });

  it('does not try a refused key again until the credentials change', async () => {
    const w = twoSites();
    w.sites.host('two.example').acceptedKey = 'another key';
    await w.pass();
    const opened = w.sites.opened;
    await w.pass();
    expect(w.sites.opened).toBe(opened);
    expect(w.vc()?.status?.conditions?.find((c) => c.type === 'CredentialsValid')).toMatchObject({
      status: 'False',
      reason: 'Rejected',
    });
    await w.pass();
    expect(w.recorder.reasons().filter((r) => r === 'CredentialsInvalid')).toHaveLength(1);
  });

  it('forgets a VirtualCluster that is gone: sessions closed, series dropped', async () => {
    const w = twoSites();
    await settle(w);
    await w.objects.delete({ metadata: { name: 'vc', namespace: 'ns' } });
    await w.pass();
    expect(await w.registry.getSingleMetricAsString('hpc_virtualcluster_workers')).not.toContain('name="vc"');
  });
});

describe('defect 8: removed or changed allocation leaves pilots and the pool token on the site', () => {
  it('removing an allocation cancels its pilots and removes its token, then forgets the place', async () => {
    const w = twoSites();
    await settle(w);
    const dir2 = dirOf(w, 'site2');
    const two = w.sites.host('two.example');
    expect(two.pilots('hp', 'running')).toHaveLength(1);
    w.apply((vc) => {
      vc.spec.allocations = vc.spec.allocations?.slice(0, 1);
    });
    for (let i = 0; i < 4; i++) await w.pass();
    expect(two.pilots('hp', 'queued', 'running')).toEqual([]);
    expect(two.hasToken('hpcuser', dir2)).toBe(false);
    expect(w.vc()?.status?.sites?.map((s) => s.allocation)).toEqual(['site1']);
    // site1 went on undisturbed.
    expect(w.sites.host('one.example').pilots('hp', 'running')).toHaveLength(1);
    expect(w.recorder.reasons()).toEqual(expect.arrayContaining(['PilotsCancelled', 'SiteCleaned']));
  });

  it('moving an allocation to another login host cleans the old host and runs the pilots on the new one', async () => {
    const w = twoSites();
    await settle(w);
    const dir2 = dirOf(w, 'site2');
    w.apply((vc) => {
      const a = vc.spec.allocations?.[1];
      if (a) a.loginHost = 'three.example';
    });
    for (let i = 0; i < 4; i++) await w.pass();
    expect(w.sites.host('two.example').pilots('hp', 'queued', 'running')).toEqual([]);
    expect(w.sites.host('two.example').hasToken('hpcuser', dir2)).toBe(false);
    expect(w.sites.host('three.example').pilots('hp', 'queued', 'running')).toHaveLength(1);
    expect(w.sites.host('three.example').pilots('hp')[0]?.name).toMatch(/-1$/);
  });

  it('changing the user or the cache directory cleans the old place too', async () => {
    const w = twoSites();
    await settle(w);
    const dir2 = dirOf(w, 'site2');
    w.apply((vc) => {
      const a = vc.spec.allocations?.[1];
      if (a) a.condor = { cacheDir: '/scratch/hpcop' };
    });
    const two = w.sites.host('two.example');
    for (let i = 0; i < 3; i++) {
      await w.pass();
      two.move('running');
    }
    await w.pass();
    expect(two.hasToken('hpcuser', dir2)).toBe(false);
    expect(two.hasToken('hpcuser', '/scratch/hpcop/0c0ffee0-site2')).toBe(true);
    expect(two.pilots('hp', 'queued', 'running').map((j) => j.name.split('-')[1])).toEqual(['1']);
    expect(w.vc()?.status?.workers?.error).toBe(0);
  });

  it('deleting cleans every recorded place, also one an earlier removal could not reach, before the finalizer goes', async () => {
    const w = twoSites();
    await settle(w);
    const two = w.sites.host('two.example');
    two.down = new SshError('unreachable', 'two.example:22 is unreachable');
    w.apply((vc) => {
      vc.spec.allocations = vc.spec.allocations?.slice(0, 1);
    });
    await w.pass();
    expect(w.vc()?.status?.sites?.[1]?.cleanup?.message).toBe('two.example:22 is unreachable');
    w.delete();
    await w.pass();
    expect(w.vc()?.metadata.finalizers).toEqual([VC_FINALIZER]);
    expect(w.recorder.reasons()).toContain('CleanupBlocked');
    two.down = undefined;
    for (let i = 0; i < 4 && w.vc(); i++) await w.pass();
    expect(w.vc()).toBeUndefined();
    expect(w.sites.everywhere().filter((p) => /\/(queued|running)$/.test(p))).toEqual([]);
    for (const h of w.sites.hosts.values())
      expect([...h.files.keys()].filter((f) => f.endsWith('pilot.token'))).toEqual([]);
  });

  it('deleting: a cancel that did not reach the site is sent again, not taken for done (found by the simulation, seed 6605)', async () => {
    const w = twoSites();
    await settle(w);
    const two = w.sites.host('two.example');
    // The pilots are listed, but the cancel hangs until the SSH timeout.
    two.failing.set(
      'cancel',
      new SshError('unreachable', 'no answer from hpcuser@two.example:22 in 30000 ms'),
    );
    w.delete();
    await w.pass();
    expect(two.pilots('hp', 'running')).toHaveLength(1);
    two.failing.delete('cancel');
    for (let i = 0; i < 4 && w.vc(); i++) await w.pass();
    expect(two.pilots('hp', 'queued', 'running')).toEqual([]);
    expect(w.vc()).toBeUndefined();
  });

  it('the end of the lifetime cleans every recorded place and then it is Terminated', async () => {
    const w = new VcWorld();
    w.objects.put(
      makeVirtualCluster()
        .lifetime('10m')
        .allocation((a) => a.slurm('one.example'))
        .obj(),
    );
    await settle(w);
    w.clock.advance(3_600_000);
    for (let i = 0; i < 4; i++) await w.pass();
    expect(w.vc()?.status?.phase).toBe('Terminated');
    expect(w.vc()?.status?.sites).toEqual([]);
    expect(w.sites.everywhere().filter((p) => /\/(queued|running)$/.test(p))).toEqual([]);
    expect(w.recorder.reasons()).toContain('Terminated');
  });
});
