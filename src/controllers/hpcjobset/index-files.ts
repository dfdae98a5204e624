/**
 * Where an HPCJobSet's index outputs are on the operator's side: every index's job has the set's one files
 * directory as its initialdir (the AttemptFiles directory of attempt 1 of filesJob(set)), and its stdout and
 * stderr are named by its index there. condor_transfer_data brings them back when the index's attempt ends;
 * a later attempt of the same index overwrites them, so the directory holds each index's last ended attempt.
 * One owner for these names: the set's submission (set-jobs.ts), the controller and the live-logs route.
 */
import { join } from 'node:path';

/** The AttemptFiles attempt number all of a set's jobs share (one directory per set). */
export const SET_FILES_ATTEMPT = 1;

export type Stream = 'stdout' | 'stderr';

/** The file name of index `index`'s stdout or stderr (relative to the set's directory). */
export function indexOutputName(index: number, stream: Stream): string {
  return `hpc-${index}.${stream}`;
}

/** The path of index `index`'s stdout or stderr in the set's directory `dir`. */
export function indexOutputPath(dir: string, index: number, stream: Stream): string {
  return join(dir, indexOutputName(index, stream));
}
