/**
 * The logs route on a real HTTPS ServingServer, with a stand-in condor_tail process
 * (test/support/fake-condor-tail.sh) and a stand-in API server for the reviews (the real TokenReview and
 * SubjectAccessReview are in test/e2e/logs.e2e.test.ts): who gets in, one child shared by two clients and
 * killed when both are gone, the bound, and a followed log finished from the fetched file.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { makeHPCJob } from '../../test/support/builders/hpcjob.js';
import { makeHPCJobSet } from '../../test/support/builders/hpcjobset.js';
import { attemptLogDir } from '../controllers/hpcjob/description.js';
import { indexOutputPath } from '../controllers/hpcjobset/index-files.js';
import { filesJob } from '../controllers/hpcjobset/set-jobs.js';
import type { HPCJobSet } from '../crds/hpcjobset.js';
import { JobStatus } from '../condor/job-status.js';
import type { HPCJob } from '../crds/hpcjob.js';
import { ServingServer, type ServingCert } from '../serving/server.js';
import type { AccessReviews, ResourceAttributes, UserInfo } from './access.js';
import type { IndexJob, LogsCondor } from './condor.js';
import { fetchedPath } from './plan.js';
import { FollowerPool } from './pool.js';
import { LOGS_PREFIX, logsRoute } from './route.js';

const FAKE_TAIL = fileURLToPath(new URL('../../test/support/fake-condor-tail.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'logs-route-'));
const logDir = join(dir, 'logs');
const at = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** The serving pair for 127.0.0.1, the cluster's client CA and a client certificate it signed. */
function makeCerts(): { serving: ServingCert; clientCA: string; client: { cert: string; key: string } } {
  openssl('req', '-x509', ...EC, '-days', '1', '-subj', '/CN=serving', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', at('tls.key'), '-out', at('tls.crt'));
  openssl('req', '-x509', ...EC, '-days', '1', '-subj', '/CN=client-ca', '-keyout', at('ca.key'), '-out', at('ca.crt'));
  writeFileSync(at('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('req', ...EC, '-subj', '/CN=alice/O=team-a', '-keyout', at('client.key'), '-out', at('client.csr'));
  openssl('x509', '-req', '-in', at('client.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', at('client.ext'), '-out', at('client.crt'));
  const read = (n: string) => readFileSync(at(n), 'utf8');
  return { serving: { cert: read('tls.crt'), key: read('tls.key') }, clientCA: read('ca.crt'), client: { cert: read('client.crt'), key: read('client.key') } };
} // prettier-ignore

/** The API server's answers: tokens, and who may get hpcjobs/log where (alice and team-a in namespace ns). */
class StandInReviews implements AccessReviews {
  readonly asked: ResourceAttributes[] = [];
  constructor(readonly ca: string) {}
  reviewToken(token: string): Promise<UserInfo | undefined> {
    const users: Record<string, UserInfo> = {
      'alice-token': { username: 'alice', groups: ['system:authenticated'] },
      'bob-token': { username: 'bob', groups: ['system:authenticated'] },
    };
    return Promise.resolve(users[token]);
  }
  reviewAccess(user: UserInfo, a: ResourceAttributes): Promise<{ allowed: boolean; reason: string }> {
    this.asked.push(a);
    const allowed = a.namespace === 'ns' && (user.username === 'alice' || user.groups.includes('team-a'));
    return Promise.resolve({ allowed, reason: allowed ? '' : 'no RBAC policy matched' });
  }
  clientCA(): Promise<string> {
    return Promise.resolve(this.ca);
  }
}

interface Opened {
  status: number;
  headers: IncomingHttpHeaders;
  text: () => string;
  done: Promise<Record<string, string | undefined>>;
  close: () => void;
}

function open(port: number, path: string, auth: { token?: string; cert?: string; key?: string }): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const headers = auth.token ? { authorization: `Bearer ${auth.token}` } : {};
    const req = request(
      { host: '127.0.0.1', port, path, ca: certs.serving.cert, cert: auth.cert, key: auth.key, headers, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        const done = new Promise<Record<string, string | undefined>>((ok) => res.on('end', () => ok(res.trailers)));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: () => body, done, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
} // prettier-ignore

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const certs = makeCerts();
const jobs = new Map<string, HPCJob>();
const sets = new Map<string, HPCJobSet>();
let indexJobs: IndexJob[] = [];
let jobStatus: number | undefined = JobStatus.Running;
let tailEnv: Record<string, string> = {};
const pids: number[] = [];
const condor: LogsCondor = {
  jobStatus: () => Promise.resolve(jobStatus),
  indexJobs: () => Promise.resolve(indexJobs),
  tail: () => {
    const child = spawn(FAKE_TAIL, [], {
      env: { ...process.env, ...tailEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pids.push(child.pid as number);
    return child;
  },
  inLane: (_t, fn) => fn(),
};
const pool = new FollowerPool({ maxPerSchedd: 2, headBytes: 1 << 20 });
const server = new ServingServer({ bindAddress: '127.0.0.1:0', certs: { current: () => certs.serving, onRotate: () => undefined }, log: pino({ level: 'silent' }) }); // prettier-ignore
server.route(
  LOGS_PREFIX,
  logsRoute({
    reviews: new StandInReviews(certs.clientCA),
    job: (ns, name) => jobs.get(`${ns}/${name}`),
    target: () => ({ name: 'schedd@a' }),
    set: (ns, name) => sets.get(`${ns}/${name}`),
    setTarget: () => ({ name: 'schedd@a' }),
    condor,
    pool,
    logDir,
    maxBytes: 1 << 20,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
    pollMs: 20,
    onceTimeoutMs: 5000,
  }),
);
const alice = { token: 'alice-token' };
const url = (name: string, query = '') => `/logs/v1/namespaces/ns/hpcjobs/${name}${query}`;
const put = (job: HPCJob) => jobs.set(`${job.metadata.namespace}/${job.metadata.name}`, job);

beforeAll(() => server.start());
afterAll(async () => {
  pool.stopAll();
  await server.stop();
});
beforeEach(() => {
  jobStatus = JobStatus.Running;
  tailEnv = {};
});

describe('who may read logs', () => {
  it('refuses a request without credentials or with a token the API server does not accept', async () => {
    put(makeHPCJob('step', 'ns').submitted(1, '1.0').obj());
    const none = await open(server.port, url('step'), {});
    expect([none.status, none.text()]).toEqual([
      401,
      'send a bearer token or a client certificate of this cluster\n',
    ]);
    const bad = await open(server.port, url('step'), { token: 'forged' });
    expect([bad.status, bad.text()]).toEqual([401, 'the bearer token was not accepted (TokenReview)\n']);
  });

  it('asks for get on hpcjobs/log in the namespace, and says no as the API server would, before looking', async () => {
    const bob = await open(server.port, url('no-such-job'), { token: 'bob-token' });
    expect(bob.status).toBe(403);
    expect(bob.text()).toBe(
      'hpcjobs.hpc.scailfin.io "no-such-job" is forbidden: User "bob" cannot get resource "hpcjobs/log" in API group "hpc.scailfin.io" in the namespace "ns": no RBAC policy matched\n',
    );
    const missing = await open(server.port, url('no-such-job'), alice);
    expect([missing.status, missing.text()]).toEqual([
      404,
      'hpcjobs.hpc.scailfin.io "no-such-job" not found\n',
    ]);
  });

  it('takes a client certificate of the cluster: CN is the user, O the groups', async () => {
    const job = makeHPCJob('cert', 'ns').submitted(1, '1.0', { outcome: 'Succeeded' }).obj();
    put(job);
    mkdirSync(dirname(fetchedPath(logDir, job, 1, 'stdout')), { recursive: true });
    writeFileSync(fetchedPath(logDir, job, 1, 'stdout'), 'done\n');
    const r = await open(server.port, url('cert'), certs.client);
    expect([r.status, await r.done, r.text()]).toEqual([200, { 'hpc-log-complete': 'true' }, 'done\n']);
  });
});

describe('following a running attempt', () => {
  it('shares one condor_tail between two clients and kills it when both are gone', async () => {
    put(makeHPCJob('shared', 'ns').submitted(1, '7.0').obj());
    const a = await open(server.port, url('shared', '?follow=true'), alice);
    await until('a line', () => a.text().includes('line 2\n'));
    const b = await open(server.port, url('shared', '?follow=true'), alice);
    expect([a.status, b.status, a.headers['content-type']]).toEqual([200, 200, 'text/plain; charset=utf-8']);
    await until('b to catch up', () => b.text().includes('line 4\n'));
    expect(b.text().startsWith('line 1\nline 2\n')).toBe(true);
    expect(pool.count('schedd@a')).toBe(1);
    const pid = pids[pids.length - 1] as number;
    a.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(pid)).toBe(true);
    b.close();
    await until('the child to be gone', () => pool.count('schedd@a') === 0);
    expect(alive(pid)).toBe(false);
  });

  it('answers 429 over the bound of followers per schedd, with when to try again', async () => {
    put(makeHPCJob('j1', 'ns').submitted(1, '11.0').obj());
    put(makeHPCJob('j2', 'ns').submitted(1, '12.0').obj());
    put(makeHPCJob('j3', 'ns').submitted(1, '13.0').obj());
    const held = [await open(server.port, url('j1', '?follow=true'), alice)];
    held.push(await open(server.port, url('j2', '?follow=true'), alice));
    const over = await open(server.port, url('j3', '?follow=true'), alice);
    expect([over.status, over.headers['retry-after'], over.text()]).toEqual([
      429,
      '10',
      '2 of 2 log followers of schedd schedd@a are in use (--max-log-followers-per-schedd): try again later, or read the log once the step has ended\n',
    ]);
    for (const h of held) h.close();
    await until('the children to be gone', () => pool.count('schedd@a') === 0);
  });

  it('goes on to the end: what the last poll missed comes from the fetched file', async () => {
    const job = makeHPCJob('ends', 'ns').submitted(1, '21.0').obj();
    put(job);
    tailEnv = { FAKE_TAIL_LINES: '3', FAKE_TAIL_INTERVAL: '0.02' };
    const r = await open(server.port, url('ends', '?follow=true'), alice);
    await until(
      'the child to end',
      () => r.text() === 'line 1\nline 2\nline 3\n' && pool.count('schedd@a') === 0,
    );
    // The operator fetches the files, then records the attempt's end.
    mkdirSync(dirname(fetchedPath(logDir, job, 1, 'stdout')), { recursive: true });
    writeFileSync(fetchedPath(logDir, job, 1, 'stdout'), 'line 1\nline 2\nline 3\nline 4\nlast line\n');
    put(makeHPCJob('ends', 'ns').submitted(1, '21.0', { outcome: 'Succeeded' }).obj());
    expect(await r.done).toEqual({ 'hpc-log-complete': 'true' });
    expect(r.text()).toBe('line 1\nline 2\nline 3\nline 4\nlast line\n');
  });

  it('without follow, prints what there is so far with one condor_tail poll', async () => {
    put(makeHPCJob('once', 'ns').submitted(1, '31.0').obj());
    tailEnv = { FAKE_TAIL_LINES: '2', FAKE_TAIL_INTERVAL: '0' };
    const r = await open(server.port, url('once'), alice);
    expect([r.status, await r.done, r.text()]).toEqual([
      200,
      { 'hpc-log-complete': 'true' },
      'line 1\nline 2\n',
    ]);
  });

  it('tells a follower to come back while the job is idle', async () => {
    put(makeHPCJob('idle', 'ns').submitted(1, '41.0').obj());
    jobStatus = JobStatus.Idle;
    const r = await open(server.port, url('idle', '?follow=true'), alice);
    expect([r.status, r.headers['retry-after'], r.text()]).toEqual([
      409,
      '5',
      'attempt 1 is not running yet (HTCondor job 41.0 is idle): ask again once it runs\n',
    ]);
  });
});

describe("an HPCJobSet index's log", () => {
  const setUrl = (name: string, query: string) => `/logs/v1/namespaces/ns/hpcjobsets/${name}${query}`;
  const putSet = (set: HPCJobSet) => sets.set(`ns/${set.metadata.name}`, set);
  const output = (set: HPCJobSet, index: number, stream: 'stdout' | 'stderr', text: string) => {
    const dir = attemptLogDir(logDir, filesJob(set), 1);
    mkdirSync(dir, { recursive: true });
    writeFileSync(indexOutputPath(dir, index, stream), text);
  };

  it("asks for get on hpcjobsets/log of the set, and serves an ended index from the set's directory", async () => {
    const set = makeHPCJobSet('sweep', 'ns').status({ succeeded: '0', failed: '1', running: '2' }).obj();
    putSet(set);
    output(set, 1, 'stderr', 'bad input 1\n');
    const bob = await open(server.port, setUrl('sweep', '?index=1'), { token: 'bob-token' });
    expect(bob.text()).toContain('cannot get resource "hpcjobsets/log" in API group "hpc.scailfin.io"');
    const r = await open(server.port, setUrl('sweep', '?index=1&stream=stderr'), alice);
    expect([r.status, await r.done, r.text()]).toEqual([
      200,
      { 'hpc-log-complete': 'true' },
      'bad input 1\n',
    ]);
    const none = await open(server.port, setUrl('sweep', '?index=0'), alice);
    expect([none.status, none.text()]).toEqual([
      404,
      "index 0 of hpcjobset sweep (indices 0-2) succeeded but has no stdout in this operator's log directory: its output could not be fetched (the operator logged why), or another replica fetched it\n",
    ]);
  });

  it("names the index and the set's indices when the index is out of range", async () => {
    putSet(makeHPCJobSet('small', 'ns').obj());
    const r = await open(server.port, setUrl('small', '?index=3'), alice);
    expect([r.status, r.text()]).toEqual([404, 'hpcjobset small has no index 3: it has 3 (indices 0-2)\n']);
  });

  it("follows a running index's job of its current attempt, found by the set's uid and index", async () => {
    const set = makeHPCJobSet('live', 'ns').status({
      running: '2',
      indexRecords: [{ index: 2, failedAttempts: 1 }],
    });
    putSet(set.obj());
    indexJobs = [
      { jobId: '50.2', attempt: 1, acked: true },
      { jobId: '51.0', attempt: 2, acked: false },
    ];
    tailEnv = { FAKE_TAIL_LINES: '2', FAKE_TAIL_INTERVAL: '0' };
    const r = await open(server.port, setUrl('live', '?index=2'), alice);
    expect([r.status, await r.done, r.text()]).toEqual([
      200,
      { 'hpc-log-complete': 'true' },
      'line 1\nline 2\n',
    ]);
    indexJobs = [];
    const waiting = await open(server.port, setUrl('live', '?index=1&follow=true'), alice);
    expect([waiting.status, waiting.headers['retry-after'], waiting.text()]).toEqual([
      409,
      '5',
      'index 1 of hpcjobset live (indices 0-2) has no job in HTCondor for attempt 1 (it is pending): it has no stdout yet; ask again once it runs\n',
    ]);
  });
});
