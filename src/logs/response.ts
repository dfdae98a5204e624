/**
 * A log as an HTTP response: text/plain, chunked, and two trailers saying whether the client got the whole
 * log (Hpc-Log-Complete) and, if not, why (Hpc-Log-Note) — the body is the log and nothing else, so the
 * stream can be piped into a file. A client that does not read is dropped once a bounded backlog waits for
 * it: one slow reader never holds a follower's memory.
 */
import { createReadStream, existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { LogQuery } from './request.js';

export const COMPLETE_TRAILER = 'Hpc-Log-Complete';
export const NOTE_TRAILER = 'Hpc-Log-Note';
/** Bytes that may wait for one slow client before it is dropped. */
export const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

const TEXT = 'text/plain; charset=utf-8';

/** A refusal: the status, the message as the body, and when to ask again. */
export function refuse(
  res: ServerResponse,
  status: number,
  message: string,
  retryAfterSeconds?: number,
): void {
  if (res.headersSent) return void res.end();
  const headers: Record<string, string> = { 'content-type': TEXT, 'cache-control': 'no-store' };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  res.writeHead(status, headers).end(`${message}\n`);
}

export class LogResponse {
  #finished = false;
  #gone = false;

  constructor(
    readonly res: ServerResponse,
    readonly maxBacklog = MAX_BACKLOG_BYTES,
  ) {
    // 'close' comes when the response is done or the client went away; either way nothing more goes out.
    res.once('close', () => (this.#gone = true));
  }

  /** Sends the headers (the stream has begun). */
  start(): void {
    if (this.res.headersSent) return;
    this.res.writeHead(200, {
      'content-type': TEXT,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      trailer: `${COMPLETE_TRAILER}, ${NOTE_TRAILER}`,
    });
    // Headers out now: a follower with nothing new yet still shows the client that it is connected.
    this.res.flushHeaders();
  }

  /** True once the response ended or the client went away. */
  get closed(): boolean {
    return this.#finished || this.#gone || this.res.destroyed || this.res.writableEnded;
  }

  /** Sends a chunk; false (and the response ends incomplete) when the client's backlog is over the bound. */
  write(chunk: Buffer): boolean {
    if (this.closed) return false;
    if (this.res.writableLength > this.maxBacklog) {
      this.finish({ complete: false, note: 'the client did not keep up with the log' });
      return false;
    }
    this.res.write(chunk);
    return true;
  }

  /** Sends bytes [from, to) of a file, then resolves (or when the client goes away). */
  async writeFile(path: string, from = 0, to?: number): Promise<void> {
    if (to !== undefined && to <= from) return;
    const stream = createReadStream(path, { start: from, ...(to !== undefined ? { end: to - 1 } : {}) });
    try {
      for await (const chunk of stream) {
        if (this.closed) break;
        // Backpressure from the client: wait for it instead of filling memory.
        if (!this.res.write(chunk as Buffer)) await waitDrain(this.res);
      }
    } finally {
      stream.destroy();
    }
  }

  /** Ends the response with its trailers. Idempotent. */
  finish(o: { complete: boolean; note?: string }): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.res.destroyed || this.res.writableEnded) return;
    this.start();
    const trailers: Record<string, string> = { [COMPLETE_TRAILER]: String(o.complete) };
    if (o.note) trailers[NOTE_TRAILER] = o.note.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 1000);
    this.res.addTrailers(trailers);
    this.res.end();
  }
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** A fetched file, whole; 404 with `missing` (or a message saying where logs come from) when it is not there. */
export async function sendFile(
  res: ServerResponse,
  path: string,
  what: string,
  q: LogQuery,
  missing?: string,
): Promise<void> {
  if (!existsSync(path))
    return refuse(
      res,
      404,
      missing ??
        `${what} has no ${q.stream} in this operator's log directory: logs come back when an attempt ends by ` +
          'itself (a cancelled or removed job has none), and only to the replica that fetched them',
    );
  const out = new LogResponse(res);
  out.start();
  await out.writeFile(path);
  out.finish({ complete: true });
}
