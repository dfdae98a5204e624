import type { CondorError } from '../../../src/condor/errors.js';
import type { JobAd } from '../../../src/condor/parse.js';
import { s, type SubmitJob } from '../../../src/condor/submit-description.js';
import { LEAVE_IN_QUEUE, Tag, TRACKED_ATTRIBUTES } from '../../../src/condor/tags.js';
import { expr } from '../../../src/condor/submit-description.js';
import { FileStore } from '../files.js';
import { kit, watch } from '../testkit.js';
import { SIM_EPOCH } from '../scheduler.js';
import { CollectorModel, CondorWorld, LOCAL } from './pools.js';
import { SimCondorConnector } from './ports.js';
import { JOB_LEASE_MS, ScheddModel } from './schedd-model.js';

const OP = 'sim-op';
const TIMEOUTS = { submit: 20_000, query: 15_000, transfer: 60_000, status: 15_000 };

function condor(o: { outcome?: 'ok' | 'exit'; historyMax?: number; runMs?: number } = {}) {
  const k = kit();
  const files = new FileStore();
  const world = new CondorWorld(TIMEOUTS);
  /** Pilot slots of every VirtualCluster (none unless a test adds them). */
  const pilots = { slots: 0 };
  const schedd = new ScheddModel(LOCAL, k.sched, k.prng, k.trace, files, () => pilots.slots, {
    historyMax: o.historyMax ?? 100,
    jobOutcome: o.outcome ?? 'ok',
    jobRunMs: o.runMs,
  });
  world.schedds.set(LOCAL, schedd);
  world.collectors.set(LOCAL, new CollectorModel(LOCAL, k.sched, k.trace, () => []));
  world.collectors.set('cm.vc', new CollectorModel('cm.vc', k.sched, k.trace, () => []));
  const connector = new SimCondorConnector(
    { net: k.net, prng: k.prng, now: () => k.sched.now(), world, tenantOfUid: () => 't1' },
    k.replica,
  );
  return {
    ...k,
    files,
    pilots,
    world,
    schedd,
    api: connector.schedd({}),
    viaPool: connector.schedd({ pool: 'cm.vc' }),
    connector,
  };
}

function job(uid: string, attempt = 1, o: { transfer?: boolean; vc?: string } = {}): SubmitJob {
  return {
    commands: {
      initialdir: s.string(`/logs/t1/${uid}/${attempt}`),
      output: s.string('hpc.stdout'),
      error: s.string('hpc.stderr'),
      request_memory: s.int(1024),
      leave_in_queue: s.expr(expr(LEAVE_IN_QUEUE)),
      ...(o.transfer ? { transfer_output_files: s.list(['hpc-results', 'hpc-result.json']) } : {}),
    },
    attributes: {
      [Tag.Operator]: OP,
      [Tag.JobUID]: uid,
      [Tag.Attempt]: attempt,
      [Tag.Ref]: `t1/${uid}`,
      HPCVirtualCluster: o.vc ?? null,
    },
  };
}

const ids = (ads: JobAd[] | undefined) =>
  (ads ?? []).map((a) => `${String(a.ClusterId)}.${String(a.ProcId)}`);

describe('schedd model', () => {
  it('commits one cluster per submit, one proc per job, with the tags and tracked attributes', async () => {
    const c = condor();
    const first = watch(c.api.submit([job('u1'), job('u2')]));
    await c.advance(5_000);
    const second = watch(c.api.submit([job('u3')]));
    await c.advance(5_000);
    expect([first.value, second.value]).toEqual([['1.0', '1.1'], ['2.0']]);
    const ad = c.schedd.queue.get('1.1')?.ad ?? {};
    expect(ad).toMatchObject({ [Tag.JobUID]: 'u2', [Tag.Attempt]: 1, RequestMemory: 1024, NumJobStarts: 0 });
    expect(ad.QDate).toBe(Math.floor(SIM_EPOCH / 1000));
    expect(ad.HPCVirtualCluster).toBeUndefined();
  });

  it("selects only the operator's jobs, by id or uid (either), an empty list matching none, and by recent change", async () => {
    const c = condor();
    watch(c.api.submit([job('u1'), job('u2'), job('u3')]));
    await c.advance(5_000);
    const q = (sel: object) => watch(c.api.query({ operator: OP, ...sel }, ['JobStatus'], 'track'));
    const all = q({});
    const either = q({ jobs: [{ jobId: '1.0', uid: 'u1' }], uids: ['u3'] });
    const none = q({ uids: [] });
    const other = watch(c.api.query({ operator: 'someone-else' }, [], 'track'));
    await c.advance(5_000);
    expect([ids(all.value), ids(either.value), ids(none.value), ids(other.value)]).toEqual([
      ['1.0', '1.1', '1.2'],
      ['1.0', '1.2'],
      [],
      [],
    ]);
    await c.advance(3_600_000);
    const recent = q({ changedWithinSeconds: 60 });
    await c.advance(5_000);
    expect(ids(recent.value)).toEqual([]);
  });

  it('projects ads to ClusterId, ProcId and the asked attributes that are defined', async () => {
    const c = condor();
    watch(c.api.submit([job('u1')]));
    await c.advance(5_000);
    const o = watch(c.api.query({ operator: OP }, ['Owner', 'ExitCode'], 'track'));
    await c.advance(5_000);
    expect(o.value).toEqual([{ ClusterId: 1, ProcId: 0, Owner: 'hpcop' }]);
  });

  it('keeps a finished job in the queue until HPCAck, then moves it to the history', async () => {
    const c = condor({ runMs: 10_000 });
    watch(c.api.submit([job('u1')]));
    await c.advance(3_600_000);
    expect(c.schedd.queue.get('1.0')?.ad).toMatchObject({ JobStatus: 4, ExitCode: 0, ExitBySignal: false });
    watch(c.api.acknowledge({ operator: OP, uids: ['u1'] }));
    await c.advance(70_000);
    const h = watch(c.api.history({ operator: OP, uids: ['u1'] }, TRACKED_ATTRIBUTES, { limit: 5 }));
    await c.advance(5_000);
    expect([c.schedd.queue.size, ids(h.value), h.value?.[0]?.[Tag.Ack]]).toEqual([0, ['1.0'], true]);
  });

  it("fetches a finished job's stdout, stderr and condor-transfer results into its initialdir", async () => {
    const c = condor({ runMs: 10_000 });
    watch(c.api.submit([job('u1', 1, { transfer: true })]));
    await c.advance(3_600_000);
    watch(c.api.transferData({ operator: OP, uids: ['u1'] }));
    await c.advance(5_000);
    expect(c.files.list('/logs/t1/u1/1')).toEqual([
      '/logs/t1/u1/1/hpc-result.json',
      '/logs/t1/u1/1/hpc-results/result.txt',
      '/logs/t1/u1/1/hpc.stderr',
      '/logs/t1/u1/1/hpc.stdout',
    ]);
  });

  it("a condor_submit can commit and then time out after the model's timeout", async () => {
    const c = condor();
    c.schedd.submitTimeoutsUntil = Infinity;
    c.schedd.submitTimeoutRate = 1;
    const o = watch(c.api.submit([job('u1')]));
    await c.advance(TIMEOUTS.submit - 1);
    expect([c.schedd.queue.size, o.settled]).toEqual([1, false]);
    await c.advance(2);
    expect((o.error as CondorError).kind).toBe('timeout');
  });

  it('answers unavailable while the schedd is down, and hangs calls through a black-holed collector until their timeout', async () => {
    const c = condor();
    c.schedd.goDown(60_000);
    const down = watch(c.api.query({ operator: OP }, [], 'track'));
    c.world.collectors.get('cm.vc')?.blackhole(600_000);
    const hung = watch(c.viaPool.query({ operator: OP }, [], 'track'));
    await c.advance(TIMEOUTS.query - 1);
    expect([(down.error as CondorError).kind, hung.settled]).toEqual(['unavailable', false]);
    await c.advance(2);
    expect((hung.error as CondorError).kind).toBe('timeout');
  });

  it('reuses job ids after a spool wipe, with queue and history gone', async () => {
    const c = condor({ runMs: 1_000 });
    watch(c.api.submit([job('u1')]));
    watch(c.api.submit([job('u2')]));
    await c.advance(600_000);
    watch(c.api.acknowledge({ operator: OP, uids: ['u1'] }));
    await c.advance(120_000);
    expect(c.schedd.history.length).toBe(1);
    c.schedd.wipe();
    const again = watch(c.api.submit([job('u3')]));
    await c.advance(5_000);
    expect([c.schedd.history.length, again.value, c.schedd.queue.get('1.0')?.ad[Tag.JobUID]]).toEqual([
      0,
      ['1.0'],
      'u3',
    ]);
  });

  it('rotates the history, dropping the oldest entries', async () => {
    const c = condor({ runMs: 1_000, historyMax: 2 });
    for (const u of ['u1', 'u2', 'u3']) watch(c.api.submit([job(u)]));
    await c.advance(600_000);
    watch(c.api.acknowledge({ operator: OP }));
    await c.advance(600_000);
    expect(c.schedd.history.map((j) => j.ad[Tag.JobUID]).sort()).toHaveLength(2);
    c.schedd.rotate(1);
    expect(c.schedd.history).toHaveLength(1);
  });

  it('a hold by a person has HoldReasonCode 1; holding it again is "already held"; a release makes it idle', async () => {
    const c = condor({ runMs: 3_600_000 });
    watch(c.api.submit([job('u1')]));
    await c.advance(5_000);
    c.schedd.personAct('hold');
    expect(c.schedd.queue.get('1.0')?.ad).toMatchObject({ JobStatus: 5, HoldReasonCode: 1, NumHolds: 1 });
    const again = watch(c.api.act('hold', { operator: OP, uids: ['u1'] }));
    const release = watch(c.api.act('release', { operator: OP, uids: ['u1'] }));
    await c.advance(5_000);
    expect([again.value, release.value, c.schedd.queue.get('1.0')?.ad.LastHoldReasonCode]).toEqual([
      false,
      true,
      1,
    ]);
  });

  it('condor_transfer_data fails while the fault lasts', async () => {
    const c = condor({ runMs: 1_000 });
    watch(c.api.submit([job('u1')]));
    await c.advance(600_000);
    c.schedd.transferFailsUntil = Infinity;
    c.schedd.transferFailRate = 1;
    const o = watch(c.api.transferData({ operator: OP, uids: ['u1'] }));
    await c.advance(5_000);
    expect([(o.error as CondorError).kind, c.files.list('/logs').length]).toEqual(['failed', 0]);
  });

  it('keeps a removed job whose pilot is gone in X, acknowledged or not, until -forcex (at once) or the job lease ends; refuses -forcex of a job not in X', async () => {
    const c = condor({ runMs: 3_600_000 });
    c.pilots.slots = 1;
    watch(c.api.submit([job('u1', 1, { vc: 't1/vc' }), job('u2', 1, { vc: 't1/vc' })]));
    await c.advance(120_000);
    const statuses = () => [...c.schedd.queue.values()].map((j) => j.ad.JobStatus);
    expect(statuses()).toEqual([2, 2]);
    const sel = (uid: string) => ({ operator: OP, uids: [uid] });
    const refused = watch(c.api.act('forcex', sel('u1')));
    await c.advance(5_000);
    expect([refused.value, statuses()]).toEqual([false, [2, 2]]);
    // The pilot dies; then both jobs are removed and acknowledged.
    c.pilots.slots = 0;
    watch(c.api.act('remove', sel('u1')));
    watch(c.api.act('remove', sel('u2')));
    await c.advance(5_000);
    watch(c.api.acknowledge({ operator: OP }));
    await c.advance(30 * 60_000);
    expect(statuses()).toEqual([3, 3]);
    const forced = watch(c.api.act('forcex', sel('u1')));
    await c.advance(5_000);
    expect([forced.value, [...c.schedd.queue.keys()], c.schedd.history[0]?.ad.LeaveJobInQueue]).toEqual([
      true,
      ['1.1'],
      false,
    ]);
    // The other one leaves once its job lease has ended (its shadow gave up).
    await c.advance(JOB_LEASE_MS);
    expect(c.schedd.queue.size).toBe(0);
  });
});
