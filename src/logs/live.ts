/**
 * The log of an attempt the HPCJob (or an HPCJobSet's index) still shows as running. The job is checked in
 * the queue first, by its id and HPCJob UID together; then:
 * - running, follow: join the shared follower of its stream (a new one if the schedd has room, else 429), and
 *   once condor_tail ends, wait for the operator to fetch the attempt's files and send what the live stream
 *   had not, from the file;
 * - running, no follow: one condor_tail poll (what is there so far, at most --log-tail-max-bytes);
 * - idle or held: nothing yet (409 to a follower, so it asks again);
 * - gone from the queue or finished: wait until the operator has fetched the files, then send the file.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { JobStatus } from '../condor/job-status.js';
import { errorMessage } from '../runtime/kube-api.js';
import { scheddKey } from './condor.js';
import { BUSY_RETRY_SECONDS, type LogsDeps } from './deps.js';
import type { Subscriber, TailEnd } from './follower.js';
import { restOfFile } from './finish.js';
import { NOT_YET_RETRY_SECONDS, type AttemptState, type LogPlan } from './plan.js';
import type { LogQuery } from './request.js';
import { LogResponse, refuse } from './response.js';

export type LivePlan = Extract<LogPlan, { kind: 'live' }>;

/** What is followed, in words and as its object shows it now: the HPCJob's attempt or the set's index. */
export interface Subject {
  /** In "... is not running yet": `attempt 2` (HPCJob), `index 3 (attempt 1) of hpcjobset sweep`. */
  short: string;
  /** In "... has no stdout": `attempt 2 of hpcjob fit`. */
  full: string;
  /** Said when the object went away while its log was waited for. */
  gone: string;
  /** Where the attempt is, as the object (from the operator's cache) shows it now. */
  state(): AttemptState;
}

interface Ctx {
  d: LogsDeps;
  req: IncomingMessage;
  res: ServerResponse;
  q: LogQuery;
  plan: LivePlan;
  log: Logger;
  subject: Subject;
}

export async function serveLive(c: Ctx): Promise<void> {
  const { d, res, plan } = c;
  let status: number | undefined;
  try {
    status = await d.condor.jobStatus(plan.target, plan.ref);
  } catch (e) {
    const why = `schedd ${scheddKey(plan.target)} did not answer about job ${plan.ref.jobId}: ${errorMessage(e)}`;
    return refuse(res, 503, why, BUSY_RETRY_SECONDS);
  }
  if (status === JobStatus.Running || status === JobStatus.Suspended) {
    if (c.q.follow) return follow(c);
    return once(c);
  }
  if (status === JobStatus.Idle || status === JobStatus.Held) {
    const what = status === JobStatus.Idle ? 'idle' : 'held';
    if (!c.q.follow) return void new LogResponse(res).finish({ complete: true, note: `the job is ${what}` });
    return refuse(
      res,
      409,
      `${c.subject.short} is not running yet (HTCondor job ${plan.ref.jobId} is ${what}): ask again once it runs`,
      NOT_YET_RETRY_SECONDS,
    );
  }
  // Not in the queue, or finished: the operator fetches its files next.
  const ended = await waitForEnd(c, new LogResponse(res));
  if (ended === 'ended') return sendFetched(c);
  if (ended === 'gone') refuse(res, 404, c.subject.gone);
}

function follow(c: Ctx): void {
  const { d, res, q, plan, log } = c;
  const key = { schedd: scheddKey(plan.target), jobId: plan.ref.jobId, uid: plan.ref.uid, stream: q.stream };
  const got = d.pool.acquire(key, () =>
    d.condor.tail(plan.target, plan.ref.jobId, { stream: q.stream, maxBytes: d.maxBytes, follow: true }),
  );
  if ('busy' in got) {
    const b = got.busy;
    log.info({ schedd: b.schedd, followers: b.followers }, 'log follower refused: the schedd has no room');
    return refuse(
      res,
      429,
      `${b.followers} of ${b.max} log followers of schedd ${b.schedd} are in use (--max-log-followers-per-schedd): ` +
        'try again later, or read the log once the step has ended',
      BUSY_RETRY_SECONDS,
    );
  }
  const { follower } = got;
  const out = new LogResponse(res);
  out.start();
  let gap = false;
  const session: Subscriber = {
    data: (chunk) => {
      if (!out.write(chunk)) follower.leave(session);
    },
    ended: (end) => void finishFollow(c, out, end, gap),
  };
  gap = follower.join(session).gap;
  // The client went away: with the last one the condor_tail child is killed.
  res.once('close', () => follower.leave(session));
  log.info(
    { job: plan.ref.jobId, pid: follower.pid, created: got.created, clients: follower.clients },
    'following a log',
  );
}

/** After condor_tail ended: the rest of the log from the fetched file, when the offset is sure. */
async function finishFollow(c: Ctx, out: LogResponse, end: TailEnd, gap: boolean): Promise<void> {
  const { log, plan } = c;
  if (out.closed) return;
  if (end.code !== 0) {
    const why = end.signal ? `condor_tail was stopped (${end.signal})` : `condor_tail failed: ${end.stderr}`;
    log.warn(
      { job: plan.ref.jobId, code: end.code, signal: end.signal, stderr: end.stderr },
      'log follower ended',
    );
    return out.finish({ complete: false, note: why });
  }
  const ended = await waitForEnd(c, out);
  if (ended !== 'ended') return out.finish({ complete: false, note: c.subject.gone });
  if (!existsSync(plan.path))
    return out.finish({ complete: false, note: `the attempt's ${c.q.stream} was not fetched` });
  const rest = restOfFile(plan.path, end);
  if (!rest.known) {
    log.info(
      { job: plan.ref.jobId, why: rest.why },
      'the end of a followed log cannot be placed in its file',
    );
    return out.finish({ complete: false, note: `${rest.why}; without -f the whole file is printed` });
  }
  await out.writeFile(plan.path, rest.from, rest.size);
  out.finish({ complete: !gap, ...(gap ? { note: 'joined late: a middle part was not kept' } : {}) });
}

/** One condor_tail poll: the last --log-tail-max-bytes there are so far. */
async function once(c: Ctx): Promise<void> {
  const { d, res, q, plan } = c;
  const out = new LogResponse(res);
  const got = await d.condor.inLane(plan.target, () => {
    out.start();
    return new Promise<{ code: number | null; bytes: number; stderr: string }>((resolve) => {
      const child = d.condor.tail(plan.target, plan.ref.jobId, {
        stream: q.stream,
        maxBytes: d.maxBytes,
        follow: false,
      });
      let bytes = 0;
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), d.onceTimeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => ((bytes += chunk.length), out.write(chunk)));
      child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(0, 2000)));
      res.once('close', () => child.kill('SIGKILL'));
      child.once('error', (e) => (stderr ||= e.message));
      child.once('close', (code) => (clearTimeout(timer), resolve({ code, bytes, stderr: stderr.trim() })));
    });
  });
  if (got.code !== 0)
    return out.finish({ complete: false, note: `condor_tail failed: ${got.stderr || got.code}` });
  const cut = got.bytes >= d.maxBytes;
  out.finish({ complete: !cut, ...(cut ? { note: `the last ${d.maxBytes} bytes so far` } : {}) });
}

/** Waits until the object records the attempt's end (its files are fetched then), the client leaves, or it goes. */
function waitForEnd(c: Ctx, out: LogResponse): Promise<'ended' | 'gone' | 'closed'> {
  const { d } = c;
  return new Promise((resolve) => {
    const check = () => {
      if (out.closed) return resolve('closed');
      const state = c.subject.state();
      if (state !== 'running') return resolve(state);
      setTimeout(check, d.pollMs);
    };
    check();
  });
}

/** The fetched file of an attempt that has ended, whole. */
async function sendFetched(c: Ctx): Promise<void> {
  const { res, q, plan } = c;
  if (!existsSync(plan.path))
    return refuse(res, 404, `${c.subject.full} has no ${q.stream}: nothing was fetched`);
  const out = new LogResponse(res);
  out.start();
  await out.writeFile(plan.path);
  out.finish({ complete: true });
}
