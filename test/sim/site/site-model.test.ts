import type { SshError } from '../../../src/sites/ssh.js';
import { kit, watch } from '../testkit.js';
import { SimSiteConnector } from './ports.js';
import { SiteModel } from './site-model.js';
import { mintToken } from '../minter.js';

const HOST = 'login.example.org';
const KEY = 'the-key';
const SSH_TIMEOUT = 30_000;

function site() {
  const k = kit();
  const model = new SiteModel(HOST, KEY, k.sched, k.prng, k.trace);
  const connector = new SimSiteConnector(
    {
      net: k.net,
      prng: k.prng,
      now: () => k.sched.now(),
      sites: new Map([[HOST, model]]),
      sshTimeoutMs: SSH_TIMEOUT,
    },
    k.replica,
  );
  const session = (key = KEY) =>
    connector.open({ host: HOST, port: 22, user: 'alice', privateKey: key, hostKeys: [] }, 'slurm');
  return { ...k, model, session };
}

const kind = (e: unknown) => (e as SshError).kind;

describe('site model', () => {
  it('runs a pilot queued -> running and offers its VirtualCluster a slot; cancel ends it', async () => {
    const w = site();
    const id = watch(w.session().submitPilot('dir', 'p-1', 'VirtualCluster = "t1/vc"\n'));
    await w.advance(130_000);
    expect(w.model.running('t1/vc').map((p) => p.id)).toEqual([id.value]);
    watch(w.session().cancel([id.value ?? '']));
    await w.advance(10_000);
    const list = watch(w.session().listJobs());
    await w.advance(10_000);
    expect(list.value?.map((j) => [j.state, j.raw])).toEqual([['failed', 'CANCELLED']]);
  });

  it('stores and removes the pool token', async () => {
    const w = site();
    watch(w.session().prepare('dir', 'tok'));
    await w.advance(10_000);
    expect(w.model.files.get('dir/pilot.token')).toBe('tok');
    watch(w.session().removeToken('dir'));
    await w.advance(10_000);
    expect(w.model.files.has('dir/pilot.token')).toBe(false);
  });

  it('refused, hanging, wrong key and failing batch commands each fail as the real session would', async () => {
    const w = site();
    w.model.fault('refused', 60_000);
    const refused = watch(w.session().listJobs());
    await w.advance(61_000);
    w.model.fault('hang', 120_000);
    const hung = watch(w.session().listJobs());
    await w.advance(SSH_TIMEOUT - 1);
    const hungEarly = hung.settled;
    await w.advance(121_000);
    const wrongKey = watch(w.session('other-key').listJobs());
    await w.advance(1_000);
    w.model.fault('batch', 60_000);
    const batch = watch(w.session().submitPilot('dir', 'p', ''));
    const prepare = watch(w.session().prepare('dir', 'tok'));
    await w.advance(10_000);
    expect([
      kind(refused.error),
      hungEarly,
      kind(hung.error),
      kind(wrongKey.error),
      kind(batch.error),
      prepare.error,
    ]).toEqual(['unreachable', false, 'timeout', 'auth', 'failed', undefined]);
  });

  it('a pilot with a token of its own reads it when it starts: without one it stops at once', async () => {
    const w = site();
    const started: [string, string | undefined][] = [];
    w.model.onStart = (p, token) => started.push([p.name, token]);
    const script = `#SBATCH --time=01:00:00\nVirtualCluster = "t1/vc"\nexport _CONDOR_SEC_TOKEN_DIRECTORY="$T"\n`;
    const token = (lifetimeSeconds: number) =>
      mintToken(
        {
          signingKey: Buffer.from('k'),
          keyName: 'POOL',
          trustDomain: 'pool',
          identity: 'pilot@pool',
          authz: ['READ'],
          lifetimeSeconds,
        },
        w.sched.now(),
        '1',
      );
    const valid = token(7_200);
    watch(w.session().storePilotToken('dir', 'p-1', valid));
    watch(w.session().storePilotToken('dir', 'p-3', token(1)));
    await w.advance(10_000);
    for (const p of ['p-1', 'p-2', 'p-3']) watch(w.session().submitPilot('dir', p, script));
    await w.advance(130_000);
    const state = (name: string) => [...w.model.pilots.values()].find((p) => p.name === name);
    expect(started.sort().map(([p, t]) => [p, t === valid])).toEqual([
      ['p-1', true],
      ['p-2', false],
      ['p-3', false],
    ]);
    // p-3 runs, but its expired token keeps it out of the pool.
    expect([state('p-3')?.state, w.model.running('t1/vc').map((p) => p.name)]).toEqual(['running', ['p-1']]);
    expect([state('p-1')?.state, state('p-1')?.walltimeMs, state('p-2')?.raw]).toEqual([
      'running',
      3_600_000,
      'FAILED',
    ]);
    expect(state('p-1')?.tokenPath).toBe('dir/tokens/p-1/token');
  });

  it("retains only the kept pilots' tokens; removeToken removes every one", async () => {
    const w = site();
    for (const p of ['p-1', 'p-2', 'p-3']) watch(w.session().storePilotToken('dir', p, `${p}.x.y`));
    await w.advance(10_000);
    watch(w.session().retainPilotTokens('dir', ['p-2']));
    await w.advance(10_000);
    const kept = [...w.model.files.keys()].filter((f) => f.includes('/tokens/'));
    watch(w.session().removeToken('dir'));
    await w.advance(10_000);
    expect([kept, [...w.model.files.keys()].filter((f) => f.includes('/tokens/'))]).toEqual([
      ['dir/tokens/p-2/token'],
      [],
    ]);
  });
});
