/**
 * What the live-logs route asks of HTCondor, as a port: the state of exactly one job (its id and HPCJob UID,
 * in this operator's queue), a condor_tail child, and a lane for one-shot reads. The real one goes through
 * the condor_* tools and the operator's call lanes; tests give a stand-in condor_tail script.
 */
import type { CondorCli } from '../condor/cli.js';
import { cliConnector } from '../condor/connector.js';
import { lanedConnector, scheddLane, type Lanes } from '../condor/lanes.js';
import { scheddLabel, type JobRef, type ScheddTarget } from '../condor/schedd-api.js';
import { ScheddCommands } from '../condor/schedd-commands.js';
import { adNumber } from '../condor/parse.js';
import { Tag } from '../condor/tags.js';
import type { TailProcess } from './follower.js';

export interface TailOptions {
  stream: 'stdout' | 'stderr';
  maxBytes: number;
  follow: boolean;
}

/** A job of an HPCJobSet index, as the queue shows it. */
export interface IndexJob {
  jobId: string;
  attempt: number;
  /** The operator recorded its end (HPCAck): it only waits to leave the queue. */
  acked: boolean;
}

export interface LogsCondor {
  /** JobStatus of the job that is `ref` (id and HPCJobUID) among this operator's; undefined when not queued. */
  jobStatus(target: ScheddTarget, ref: JobRef): Promise<number | undefined>;
  /** The jobs of one HPCJobSet index (the set's uid) among this operator's in the queue: a single query. */
  indexJobs(target: ScheddTarget, uid: string, index: number): Promise<IndexJob[]>;
  /** A condor_tail child for one job's stream. */
  tail(target: ScheddTarget, jobId: string, o: TailOptions): TailProcess;
  /** Runs a one-shot read in the schedd's tail lane (a few at once per schedd). */
  inLane<T>(target: ScheddTarget, fn: () => Promise<T>): Promise<T>;
}

/** The schedd a follower counts against: its name and pool. */
export function scheddKey(target: ScheddTarget): string {
  return target.pool ? `${scheddLabel(target)} (pool ${target.pool})` : scheddLabel(target);
}

export function condorForLogs(cli: CondorCli, lanes: Lanes, operatorId: string): LogsCondor {
  const connector = lanedConnector(cliConnector(cli), lanes);
  return {
    async jobStatus(target, ref) {
      const ads = await connector
        .schedd(target)
        .query({ operator: operatorId, jobs: [ref] }, ['JobStatus'], 'logs');
      const status = ads[0]?.JobStatus;
      return typeof status === 'number' ? status : undefined;
    },
    async indexJobs(target, uid, index) {
      const attrs = [Tag.Attempt, Tag.Ack];
      const sel = { operator: operatorId, uids: [uid], setIndex: index };
      const ads = await connector.schedd(target).query(sel, attrs, 'logs');
      return ads.map((ad) => ({
        jobId: `${String(ad.ClusterId)}.${String(ad.ProcId)}`,
        attempt: adNumber(ad, Tag.Attempt) ?? 0,
        acked: ad[Tag.Ack] === true,
      }));
    },
    tail: (target, jobId, o) => new ScheddCommands(cli, target).tail(jobId, o),
    inLane: (target, fn) => lanes.run(scheddLane(target, 'tail'), 'tail', fn),
  };
}
