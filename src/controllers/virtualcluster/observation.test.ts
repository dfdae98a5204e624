/**
 * What the observer gathers, per mode, through the ports: no reads for a refused or Terminated
 * VirtualCluster, no site contact without a pool token, each Secret once per pass, problems of Secrets and
 * sites as place views, the pool's slots (or none when the collector fails).
 */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { makeIdToken } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster, VC_CREATED } from '../../../test/support/builders/virtualcluster.js';
import { FakeSecrets } from '../../../test/support/fake-objects.js';
import { FakeCollector, FakeSiteConnector } from '../../../test/support/fake-site.js';
import { SITE_HOST_KEY, SITE_PRIVATE_KEY } from '../../../test/support/vc-world.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { SshError } from '../../sites/ssh.js';
import { NO_DEMAND } from './demand.js';
import { EMPTY_MEMORY, type Mode } from './model.js';
import { observe } from './observation.js';
import { placeKey, placeOf } from './places.js';
import { SiteSessions } from './site-sessions.js';

const log = pino({ level: 'silent' });
const NOW = VC_CREATED + 60_000;

function setup() {
  const secrets = new FakeSecrets()
    .set('ns', 'pilot-token', { token: makeIdToken({ iss: 'pool.example', exp: NOW / 1000 + 86_400 }) })
    .set('ns', 'site-ssh', { 'ssh-privatekey': SITE_PRIVATE_KEY, known_hosts: SITE_HOST_KEY });
  const sites = new FakeSiteConnector();
  const collector = new FakeCollector();
  const sessions = new SiteSessions(sites);
  const deps = {
    secrets,
    sessions,
    collector: () => collector,
    demand: () => ({ cpus: 3, gpus: 0, gpuCpus: 0 }),
  };
  const look = (vc: VirtualCluster, mode: Mode = 'active') => observe(deps, vc, mode, NOW, EMPTY_MEMORY, log);
  return { secrets, sites, collector, sessions, look };
}

function placeAt(vc: VirtualCluster, i: number) {
  const a = vc.spec.allocations?.[i];
  if (!a) throw new Error(`no allocation ${i}`);
  return placeOf(vc, a);
}

const twoOnOneSecret = () =>
  makeVirtualCluster()
    .allocation((a) => a.slurm('one.example'))
    .allocation((a) => a.sge('two.example'))
    .obj();

describe('the observer', () => {
  it('looks at nothing for a refused spec or a Terminated VirtualCluster', async () => {
    const t = setup();
    for (const mode of ['invalid', 'terminated'] as const) {
      const o = await t.look(twoOnOneSecret(), mode);
      expect(o.places.size).toBe(0);
      expect(o.token).toBeUndefined();
    }
    expect(t.secrets.reads).toBe(0);
    expect(t.sites.opened).toBe(0);
  });

  it('contacts no site when the pool token is missing or not an IDTOKEN', async () => {
    const t = setup();
    t.secrets.set('ns', 'pilot-token', {});
    expect((await t.look(twoOnOneSecret())).token).toEqual({
      kind: 'missing',
      message: 'Secret pilot-token (key token) with the pilot token is missing',
    });
    t.secrets.set('ns', 'pilot-token', { token: 'not-a-jwt' });
    expect((await t.look(twoOnOneSecret())).token).toMatchObject({
      message: 'the pilot token is not an IDTOKEN (no issuer claim)',
    });
    t.secrets.forbidden.add('ns/pilot-token');
    expect((await t.look(twoOnOneSecret())).token?.kind).toBe('forbidden');
    expect(t.sites.opened).toBe(0);
  });

  it('lists each place once, keeps only its pilots, reads a shared Secret once, and reads the slots', async () => {
    const t = setup();
    const vc = twoOnOneSecret();
    const p1 = placeAt(vc, 0);
    t.sites.host('one.example').submit('hpcuser', `${p1.pilotPrefix}0`);
    t.sites.host('one.example').submit('hpcuser', 'someone-elses-job');
    t.collector.joined.add(`${p1.pilotPrefix}0`);
    t.collector.busy.add(`${p1.pilotPrefix}0`);
    const o = await t.look(vc);
    expect(o.token).toMatchObject({ kind: 'ok', trustDomain: 'pool.example' });
    expect(o.places.get(placeKey(p1))).toMatchObject({
      kind: 'listed',
      jobs: [{ name: `${p1.pilotPrefix}0`, state: 'queued' }],
      tokenPrepared: false,
      tokenRemoved: false,
    });
    // pilot-token, then site-ssh once for both allocations (places and expiry).
    expect(t.secrets.reads).toBe(2);
    expect(t.collector.queries).toEqual(['ns/vc']);
    expect([...o.slots.busy]).toEqual([`${p1.pilotPrefix}0`]);
    expect(o.demand).toEqual({ cpus: 3, gpus: 0, gpuCpus: 0 });
  });

  it('turns Secret and site problems into place views, and remembers a refused key', async () => {
    const t = setup();
    const vc = makeVirtualCluster()
      .allocation((a) => a.slurm('one.example').secret('missing'))
      .allocation((a) => a.slurm('two.example').secret('forbidden'))
      .allocation((a) => a.slurm('three.example'))
      .allocation((a) => a.slurm('four.example'))
      .obj();
    t.secrets.forbidden.add('ns/forbidden');
    t.sites.host('three.example').hostKey = 'ssh-ed25519 AAAAother';
    t.sites.host('four.example').down = new SshError('unreachable', 'four.example:22 is unreachable');
    const o = await t.look(vc);
    const views = [0, 1, 2, 3].map((i) => o.places.get(placeKey(placeAt(vc, i))));
    expect(views.map((v) => [v?.kind, v?.kind === 'credentials' ? v.reason : undefined])).toEqual([
      ['credentials', 'SecretNotFound'],
      ['credentials', 'SecretForbidden'],
      ['credentials', 'HostKeyMismatch'],
      ['unreachable', undefined],
    ]);
    expect(views[3]).toMatchObject({ message: 'four.example:22 is unreachable' });
    const three = placeKey(placeAt(vc, 2));
    expect(t.sessions.peek('ns/vc', three)?.refused?.reason).toBe('HostKeyMismatch');
  });

  it('has no slots when the collector does not answer, and goes on', async () => {
    const t = setup();
    t.collector.failure = new Error('condor_status timed out');
    const o = await t.look(twoOnOneSecret());
    expect(o.slots.joined.size).toBe(0);
    expect(o.places.size).toBe(2);
  });

  it('reads no token, slots or demand to clean up, only the places', async () => {
    const t = setup();
    const vc = makeVirtualCluster()
      .allocation((a) => a.slurm('one.example'))
      .recorded('site1')
      .obj();
    const o = await t.look(vc, 'deleting');
    expect(o.token).toBeUndefined();
    expect(o.places.size).toBe(1);
    expect(t.collector.queries).toEqual([]);
    expect(o.demand).toEqual({ cpus: 0, gpus: 0, gpuCpus: 0 });
  });
});

describe('maintenance windows', () => {
  const MIN = 60_000;
  const vc = () =>
    makeVirtualCluster()
      .allocation((a) => a.slurm('one.example'))
      .obj();
  const windowsAt = async (t: ReturnType<typeof setup>, now: number) => {
    const v = vc();
    const o = await observe(
      { secrets: t.secrets, sessions: t.sessions, collector: () => t.collector, demand: () => NO_DEMAND },
      v,
      'active',
      now,
      EMPTY_MEMORY,
      log,
    );
    const view = o.places.get(placeKey(placeAt(v, 0)));
    return view?.kind === 'listed' ? view.windows : 'not listed';
  };

  it('are read with the listing, again only after 5 minutes, and ended ones are left out', async () => {
    const t = setup();
    const host = t.sites.host('one.example');
    const w = { name: 'maint1', startMs: NOW + 10 * MIN, endMs: NOW + 20 * MIN };
    host.maintenance = [w];
    expect(await windowsAt(t, NOW)).toEqual([w]);
    host.maintenance = [];
    expect(await windowsAt(t, NOW + 4 * MIN)).toEqual([w]);
    expect(await windowsAt(t, NOW + 5 * MIN)).toEqual([]);
  });

  it('a failing reservations command leaves the site usable and keeps what was read before', async () => {
    const t = setup();
    const host = t.sites.host('one.example');
    host.failing.set('maintenance', new SshError('failed', 'scontrol failed: Access denied'));
    expect(await windowsAt(t, NOW)).toBeUndefined();
    host.failing.clear();
    const w = { name: 'maint1', startMs: NOW + 10 * MIN, endMs: NOW + 20 * MIN };
    host.maintenance = [w];
    expect(await windowsAt(t, NOW + 5 * MIN)).toEqual([w]);
    host.failing.set('maintenance', new SshError('failed', 'scontrol failed: Access denied'));
    expect(await windowsAt(t, NOW + 10 * MIN)).toEqual([w]);
  });
});
