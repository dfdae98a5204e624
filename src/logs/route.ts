/**
 * GET /logs/v1/namespaces/{ns}/hpcjobs/{name}?stream=stdout|stderr&attempt=N&follow=true|false: an HPCJob
 * attempt's stdout or stderr as text/plain, chunked (.../hpcjobsets/{name}?index=I&...: an HPCJobSet index's,
 * set-route.ts). The caller is authenticated and authorized as for `kubectl logs` (access.ts) before the
 * object is even looked up, so that a refusal tells nothing about it. An attempt that has ended is its
 * fetched file (what `kubectl hpc logs` prints); a running one is live (live.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage } from '../runtime/kube-api.js';
import type { RouteHandler } from '../serving/server.js';
import { authenticate, authorize, type Decision } from './access.js';
import { BUSY_RETRY_SECONDS, type LogsDeps } from './deps.js';
import { serveLive } from './live.js';
import { attemptState, planLogs } from './plan.js';
import { parseLogRequest, type LogQuery } from './request.js';
import { refuse, sendFile } from './response.js';
import { serveSetIndex } from './set-route.js';

export { LOGS_PREFIX } from './request.js';

export function logsRoute(d: LogsDeps): RouteHandler {
  return async (req, res) => {
    const parsed = parseLogRequest(req.method, req.url);
    if ('status' in parsed) return refuse(res, parsed.status, parsed.message);
    const q = parsed.query;
    const log = d.log.child({ key: `${q.namespace}/${q.name}`, stream: q.stream });
    const who = await caller(d, req, q, log);
    if ('status' in who)
      return refuse(res, who.status, who.message, who.status === 503 ? BUSY_RETRY_SECONDS : undefined);
    log.debug(
      { user: who.user.username, follow: q.follow, attempt: q.attempt, index: q.index },
      'logs requested',
    );
    if (q.resource === 'hpcjobsets') return serveSetIndex({ d, req, res, q, log });
    const job = d.job(q.namespace, q.name);
    if (!job) return refuse(res, 404, `hpcjobs.hpc.scailfin.io "${q.name}" not found`);
    const plan = planLogs(job, q, { logDir: d.logDir, target: d.target(job) });
    switch (plan.kind) {
      case 'refuse':
        return refuse(res, plan.status, plan.message, plan.retryAfterSeconds);
      case 'file':
        return sendFile(res, plan.path, `attempt ${plan.attempt} of hpcjob ${q.name}`, q);
      case 'live': {
        const uid = plan.ref.uid;
        const subject = {
          short: `attempt ${plan.attempt}`,
          full: `attempt ${plan.attempt} of hpcjob ${q.name}`,
          gone: `hpcjobs.hpc.scailfin.io "${q.name}" is gone`,
          state: () => attemptState(d.job(q.namespace, q.name), uid, plan.attempt),
        };
        return serveLive({ d, req, res, q, plan, log, subject });
      }
    }
  };
}

/** The authenticated and authorized user, or the refusal (503 when the API server could not be asked). */
async function caller(
  d: LogsDeps,
  req: IncomingMessage,
  q: LogQuery,
  log: Logger,
): Promise<Decision | { status: 503; message: string }> {
  try {
    const who = await authenticate(req, d.reviews, d.now());
    if ('status' in who) {
      log.info({ status: who.status, why: who.message }, 'logs request not authenticated');
      return who;
    }
    const allowed = await authorize(who.user, q, d.reviews);
    if ('status' in allowed) log.info({ user: who.user.username }, 'logs request forbidden');
    return allowed;
  } catch (e) {
    log.warn({ err: errorMessage(e) }, 'cannot review a logs request with the API server');
    return {
      status: 503,
      message: `cannot check the request with the Kubernetes API server: ${errorMessage(e)}`,
    };
  }
}
