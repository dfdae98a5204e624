/**
 * Every HTCondor job matching a constraint on a real schedd: those in its queue and those in its history.
 *
 * A job only ever moves from the queue to the history, so the queue is read first and the history after it: a
 * job leaving in between is then in both (kept once, as its history ad, which is final), never in neither. Read
 * in the other order, or both at once, such a job can be missed (the fresh-clone CI saw a finished set's
 * indices vanish this way while the schedd's periodic pass took them out of the queue).
 */
import { adNumber } from '../../../src/condor/parse.js';
import type { ScheddCommands } from '../../../src/condor/schedd-commands.js';

export type JobAdRecord = Record<string, unknown>;

/** `cluster.proc` of an ad read with ClusterId and ProcId. */
export function jobIdOf(ad: JobAdRecord): string {
  return `${adNumber(ad, 'ClusterId')}.${adNumber(ad, 'ProcId')}`;
}

export async function everyJob(
  sd: Pick<ScheddCommands, 'query' | 'history'>,
  constraint: string,
  attributes: readonly string[],
  o: { limit?: number } = {},
): Promise<{ queue: JobAdRecord[]; history: JobAdRecord[]; all: JobAdRecord[] }> {
  const queue = await sd.query(constraint, attributes);
  const history = await sd.history(constraint, attributes, o);
  const byId = new Map([...queue, ...history].map((a) => [jobIdOf(a), a]));
  return { queue, history, all: [...byId.values()] };
}
