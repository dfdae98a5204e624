/**
 * For the models' unit tests: a scheduler, PRNG, trace and network without a world, a replica to call
 * from, and a way to look at a promise's outcome after running virtual time (without unhandled rejections).
 */
import { Net } from './net.js';
import { Prng } from './prng.js';
import { Replica } from './process.js';
import { Scheduler } from './scheduler.js';
import { Trace } from './trace.js';

export interface Outcome<T> {
  settled: boolean;
  value?: T;
  error?: unknown;
}

/** Records how `p` settles; read it after running the scheduler. */
export function watch<T>(p: Promise<T>): Outcome<T> {
  const o: Outcome<T> = { settled: false };
  p.then(
    (value) => Object.assign(o, { settled: true, value }),
    (error: unknown) => Object.assign(o, { settled: true, error }),
  );
  return o;
}

export function kit(seed = 1) {
  const sched = new Scheduler();
  const prng = new Prng(seed);
  const trace = new Trace(() => sched.now(), Infinity);
  const net = new Net(sched, prng, trace);
  const replica = new Replica('op-0', () => sched.now());
  replica.onCrash = () => {
    replica.alive = false;
    sched.kill(replica.name);
    net.resolveInFlight(replica);
  };
  return {
    sched,
    prng,
    trace,
    net,
    replica,
    /** Runs virtual time forward by `ms`. */
    advance: (ms: number) => sched.run({ until: sched.now() + ms }),
  };
}
