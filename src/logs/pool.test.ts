/**
 * Followers against a stand-in condor_tail process (test/support/fake-condor-tail.sh): one child per
 * stream shared by its clients, late joiners get the kept start, a bound per schedd, and the child killed
 * (the process gone) when the last client leaves.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Follower, Subscriber, TailEnd } from './follower.js';
import { FollowerPool, type FollowKey } from './pool.js';

const FAKE_TAIL = fileURLToPath(new URL('../../test/support/fake-condor-tail.sh', import.meta.url));

function fakeTail(env: Record<string, string> = {}) {
  return () => spawn(FAKE_TAIL, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

class Client implements Subscriber {
  readonly chunks: Buffer[] = [];
  end: TailEnd | undefined;
  readonly #ended: Promise<TailEnd>;
  #resolve!: (e: TailEnd) => void;
  constructor() {
    this.#ended = new Promise((r) => (this.#resolve = r));
  }
  data(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  ended(end: TailEnd): void {
    this.end = end;
    this.#resolve(end);
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString();
  }
  whenEnded(): Promise<TailEnd> {
    return this.#ended;
  }
}

const key = (jobId: string, schedd = 'schedd@a'): FollowKey => ({
  schedd,
  jobId,
  uid: `uid-${jobId}`,
  stream: 'stdout',
});

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** Resolves once the follower's child is gone (its 'close' reached the pool). */
function closed(pool: FollowerPool, schedd: string): Promise<void> {
  return until('the child to be gone', () => pool.count(schedd) === 0);
}

function followerOf(got: ReturnType<FollowerPool['acquire']>): Follower {
  if ('busy' in got) throw new Error('busy');
  return got.follower;
}

describe('FollowerPool', () => {
  it('shares one child between the clients of a stream, and a late joiner gets the start', async () => {
    const pool = new FollowerPool({ maxPerSchedd: 5, headBytes: 1 << 20 });
    const first = pool.acquire(key('1.0'), fakeTail());
    const a = new Client();
    const f = followerOf(first);
    f.join(a);
    await until('three lines', () => a.text.includes('line 3\n'));
    const second = pool.acquire(key('1.0'), fakeTail());
    expect('busy' in second ? undefined : second.created).toBe(false);
    expect(followerOf(second)).toBe(f);
    expect(pool.count('schedd@a')).toBe(1);
    const b = new Client();
    expect(f.join(b)).toEqual({ gap: false });
    // The first chunk b gets is everything so far, from line 1.
    expect(b.chunks[0]?.toString().startsWith('line 1\nline 2\nline 3\n')).toBe(true);
    await until('both to see line 6', () => a.text.includes('line 6\n') && b.text.includes('line 6\n'));
    expect(b.text.slice(0, 50)).toBe(a.text.slice(0, 50));
    const pid = f.pid as number;
    f.leave(a);
    expect(alive(pid)).toBe(true);
    f.leave(b);
    await closed(pool, 'schedd@a');
    expect(alive(pid)).toBe(false);
  });

  it('refuses a follower over the bound of its schedd, not of another one, and frees the place when it ends', async () => {
    const pool = new FollowerPool({ maxPerSchedd: 2, headBytes: 1024 });
    const clients = [new Client(), new Client(), new Client()];
    const f1 = followerOf(pool.acquire(key('1.0'), fakeTail()));
    const f2 = followerOf(pool.acquire(key('2.0'), fakeTail()));
    f1.join(clients[0] as Client);
    f2.join(clients[1] as Client);
    expect(pool.acquire(key('3.0'), fakeTail())).toEqual({
      busy: { schedd: 'schedd@a', followers: 2, max: 2 },
    });
    // Another stream of a followed job is another follower too.
    expect('busy' in pool.acquire({ ...key('1.0'), stream: 'stderr' }, fakeTail())).toBe(true);
    const elsewhere = followerOf(pool.acquire(key('3.0', 'schedd@b'), fakeTail()));
    elsewhere.join(clients[2] as Client);
    f1.leave(clients[0] as Client);
    await until('a place on schedd@a', () => pool.count('schedd@a') === 1);
    const f3 = followerOf(pool.acquire(key('3.0'), fakeTail()));
    expect(pool.count('schedd@a')).toBe(2);
    pool.stopAll();
    await Promise.all([closed(pool, 'schedd@a'), closed(pool, 'schedd@b')]);
    expect([f2.pid, f3.pid, elsewhere.pid].map((p) => alive(p as number))).toEqual([false, false, false]);
  });

  it('tells its clients how the child ended, with the kept start, count and end', async () => {
    const pool = new FollowerPool({ maxPerSchedd: 1, headBytes: 10 });
    const f = followerOf(
      pool.acquire(
        key('1.0'),
        fakeTail({ FAKE_TAIL_LINES: '12', FAKE_TAIL_INTERVAL: '0.01', FAKE_TAIL_EXIT: '0' }),
      ),
    );
    const a = new Client();
    f.join(a);
    const end = await a.whenEnded();
    expect(end.code).toBe(0);
    expect(end.total).toBe(a.text.length);
    expect(end.head.toString()).toBe(a.text.slice(0, 10));
    expect(end.window.toString()).toBe(a.text);
    expect(a.text.endsWith('line 12\n')).toBe(true);
    expect(pool.count('schedd@a')).toBe(0);
    // Gone from the pool: the next client starts a new follower.
    const next = pool.acquire(key('1.0'), fakeTail({ FAKE_TAIL_LINES: '1' }));
    expect('busy' in next ? undefined : next.created).toBe(true);
  });

  it('gives a late joiner only the kept start, and says it missed bytes', async () => {
    const pool = new FollowerPool({ maxPerSchedd: 1, headBytes: 8 });
    const f = followerOf(pool.acquire(key('1.0'), fakeTail()));
    const a = new Client();
    f.join(a);
    await until('two lines', () => a.text.includes('line 2\n'));
    const b = new Client();
    expect(f.join(b)).toEqual({ gap: true });
    expect(b.chunks[0]?.toString()).toBe('line 1\nl');
    pool.stopAll();
    expect((await a.whenEnded()).signal).toBe('SIGTERM');
  });

  it('reports what a failing condor_tail said', async () => {
    const pool = new FollowerPool({ maxPerSchedd: 1, headBytes: 8 });
    const f = followerOf(
      pool.acquire(
        key('1.0'),
        fakeTail({
          FAKE_TAIL_LINES: '1',
          FAKE_TAIL_EXIT: '1',
          FAKE_TAIL_STDERR: 'not authorized for access to the starter',
        }),
      ),
    );
    const a = new Client();
    f.join(a);
    const end = await a.whenEnded();
    expect([end.code, end.stderr]).toEqual([1, 'not authorized for access to the starter']);
  });
});
