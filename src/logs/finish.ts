/**
 * Where the live stream of an ended attempt stops in its fetched file. condor_tail's last poll comes up to
 * 2 s before the job ends, so the end of a log is only in the file the operator fetches afterwards. The live
 * stream gives no offsets: its first poll started at the beginning of the file only if the file was shorter
 * than -maxbytes then, and a poll that had more than -maxbytes new bytes skipped some. So the offset is taken
 * as known only when the file agrees with what was streamed: its start equals the follower's kept head, and
 * the bytes just before the count equal the follower's kept window. Otherwise nothing is appended (the client
 * is told the stream is incomplete) rather than a stretch twice or a wrong one.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { TailEnd } from './follower.js';

export type RestOfFile =
  /** The file goes on from `from` to `size`. */
  { known: true; from: number; size: number } | { known: false; why: string };

/** Decides from the file's size and the two stretches read from it (pure). */
export function restFrom(
  end: Pick<TailEnd, 'total' | 'head' | 'window'>,
  file: { size: number; head: Buffer; window: Buffer },
): RestOfFile {
  if (file.size < end.total)
    return {
      known: false,
      why: `the fetched file has ${file.size} bytes, fewer than the ${end.total} streamed`,
    };
  if (!file.head.equals(end.head))
    return { known: false, why: 'the live stream did not start at the beginning of the file' };
  if (!file.window.equals(end.window))
    return { known: false, why: 'the live stream skipped bytes (more than -maxbytes in one poll)' };
  return { known: true, from: end.total, size: file.size };
}

/** Reads the stretches restFrom needs from the file at `path`; undefined when it cannot be read. */
export function restOfFile(path: string, end: Pick<TailEnd, 'total' | 'head' | 'window'>): RestOfFile {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const read = (at: number, len: number): Buffer => {
      const buf = Buffer.alloc(Math.max(0, Math.min(len, size - at)));
      const n = buf.length > 0 ? readSync(fd as number, buf, 0, buf.length, at) : 0;
      return buf.subarray(0, n);
    };
    const head = read(0, end.head.length);
    const window = read(Math.max(0, end.total - end.window.length), end.window.length);
    return restFrom(end, { size, head, window });
  } catch (e) {
    return { known: false, why: `the fetched file cannot be read: ${(e as Error).message}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
