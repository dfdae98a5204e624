/**
 * Waits until the operator has caught up before a mass change is timed: no key waiting in the work queue's
 * high lane and no status write for a while. The mass change is measured against (b), the API server's own
 * time with nothing else to do; writes left over from the phase before (at 20,000, thousands of Schedulable
 * writes after create → all Queued) would be counted in the change's latency otherwise.
 */
import type { OperatorProcess } from '../../test/support/stack/operator.js';

export interface Settled {
  /** Seconds from the start of the wait to the operator's last status write in it (0: it wrote none). */
  seconds: number;
  /** Keys waiting in the high lane when the wait began. */
  highLaneAtStart: number;
  /** Status writes made while waiting. */
  statusWrites: number;
}

/** No status write for this long, with the high lane empty, counts as idle. */
const QUIET_MS = 5_000;
const POLL_MS = 1_000;
const GIVE_UP_MS = 900_000;

export async function settle(op: OperatorProcess): Promise<Settled> {
  const started = Date.now();
  // One scrape per look: the status writes and the high lane's depth from the same snapshot.
  const look = async () => {
    const m = await op.metrics();
    return {
      writes: await op.metric('hpc_hpcjob_api_writes_total', { kind: 'status' }, m),
      high: await op.metric('workqueue_depth', { priority: 'high' }, m),
    };
  };
  const first = await look();
  let last = first.writes;
  let lastChange = started;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const now = Date.now();
    const seen = await look();
    if (seen.writes !== last) [last, lastChange] = [seen.writes, now];
    if (seen.high === 0 && now - lastChange >= QUIET_MS) break;
    if (now - started > GIVE_UP_MS) throw new Error(`the operator did not settle in ${GIVE_UP_MS / 1000} s`);
  }
  // The quiet window itself is not part of catching up.
  const seconds = (lastChange - started) / 1000;
  return { seconds, highLaneAtStart: first.high, statusWrites: last - first.writes };
}
