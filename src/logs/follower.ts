/**
 * One condor_tail -f child for one (schedd, job, stream), shared by every client that follows that stream.
 * condor_tail polls every 2 s and each poll asks the schedd's transfer queue for a go-ahead: one follower per
 * stream, however many people watch it, keeps that cost flat (reference: hpc-native §4).
 *
 * The follower keeps the first bytes it got (bounded): a client that joins late gets them, then the live
 * stream; it also keeps its byte count and the last bytes it got, so that once the job has ended the rest of
 * the log can be taken from the fetched file at the right offset (finish.ts). When the last client leaves,
 * the child is killed: nobody is left to pay the schedd's cost for.
 */
import type { Readable } from 'node:stream';

/** The child a follower reads (a ChildProcess of condor_tail; a stand-in script in tests). */
export interface TailProcess {
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
}

/** How a follower's child ended, with what is needed to finish the stream from the fetched file. */
export interface TailEnd {
  /** 0: the job left the running state; otherwise condor_tail failed (see stderr) or was killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What condor_tail said on stderr (bounded). */
  stderr: string;
  /** Bytes received in all. */
  total: number;
  /** The first bytes received (at most the head bound). */
  head: Buffer;
  /** The last bytes received (at most the window bound). */
  window: Buffer;
}

/** One client of a follower. */
export interface Subscriber {
  data(chunk: Buffer): void;
  /** The child is gone: no more live data. Not called for clients that left before. */
  ended(end: TailEnd): void;
}

export interface FollowerOptions {
  /** Starts the child (condor_tail -f ...). */
  start: () => TailProcess;
  /** Bytes of the start of the log kept for late joiners. */
  headBytes: number;
  /** Bytes of the end kept to check the offset against the fetched file. */
  windowBytes?: number;
  /** After SIGTERM, how long before SIGKILL. */
  killAfterMs?: number;
  /** Once stop() was called or the child ended: the pool forgets the follower for new clients. */
  onStopped: (f: Follower) => void;
  /** Once the child is gone (it counts against the schedd's bound until then). */
  onClosed: (f: Follower) => void;
}

export const WINDOW_BYTES = 4096;
const STDERR_BYTES = 4096;
const KILL_AFTER_MS = 5000;

export class Follower {
  readonly #o: FollowerOptions;
  readonly #subs = new Set<Subscriber>();
  readonly #head: Buffer[] = [];
  #headLen = 0;
  #window = Buffer.alloc(0);
  #total = 0;
  #stderr = '';
  #child: TailProcess | undefined;
  #end: TailEnd | undefined;
  #stopped = false;

  constructor(
    readonly key: string,
    o: FollowerOptions,
  ) {
    this.#o = o;
  }

  /** Starts the child. A child that cannot start ends the follower at once (its clients are told). */
  start(): void {
    const child = this.#o.start();
    this.#child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.#data(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      if (this.#stderr.length < STDERR_BYTES) this.#stderr += chunk.toString('utf8').slice(0, STDERR_BYTES);
    });
    child.once('error', (e) => {
      this.#stderr ||= e.message;
      // A child that never started emits no 'close'.
      if (child.pid === undefined) this.#closed(null, null);
    });
    child.once('close', (code, signal) => this.#closed(code, signal));
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** True until the child is gone. */
  get alive(): boolean {
    return this.#end === undefined;
  }

  get clients(): number {
    return this.#subs.size;
  }

  /**
   * Adds a client and gives it what is kept of the start. `gap`: it missed bytes between that and the live
   * stream (the follower had received more than it keeps).
   */
  join(sub: Subscriber): { gap: boolean } {
    if (this.#end) throw new Error(`follower ${this.key} has ended`);
    this.#subs.add(sub);
    if (this.#headLen > 0) sub.data(Buffer.concat(this.#head, this.#headLen));
    return { gap: this.#total > this.#headLen };
  }

  /** A client is gone; with the last one the child is stopped. */
  leave(sub: Subscriber): void {
    if (!this.#subs.delete(sub)) return;
    if (this.#subs.size === 0) this.stop();
  }

  /** Kills the child (SIGTERM, then SIGKILL if it lingers). Idempotent. */
  stop(): void {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#o.onStopped(this);
    }
    const child = this.#child;
    if (!child || this.#end || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    setTimeout(() => {
      if (!this.#end) child.kill('SIGKILL');
    }, this.#o.killAfterMs ?? KILL_AFTER_MS).unref();
  }

  #data(chunk: Buffer): void {
    this.#total += chunk.length;
    if (this.#headLen < this.#o.headBytes) {
      const part = chunk.subarray(0, this.#o.headBytes - this.#headLen);
      this.#head.push(part);
      this.#headLen += part.length;
    }
    const w = this.#o.windowBytes ?? WINDOW_BYTES;
    this.#window = Buffer.concat([this.#window, chunk]);
    if (this.#window.length > w) this.#window = this.#window.subarray(this.#window.length - w);
    for (const s of [...this.#subs]) s.data(chunk);
  }

  #closed(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#end) return;
    const end: TailEnd = {
      code,
      signal,
      stderr: this.#stderr.trim(),
      total: this.#total,
      head: Buffer.concat(this.#head, this.#headLen),
      window: Buffer.from(this.#window),
    };
    this.#end = end;
    if (!this.#stopped) {
      this.#stopped = true;
      this.#o.onStopped(this);
    }
    this.#o.onClosed(this);
    const subs = [...this.#subs];
    this.#subs.clear();
    for (const s of subs) s.ended(end);
  }
}
