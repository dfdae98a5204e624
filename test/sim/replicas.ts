/**
 * Starting, crashing, stopping and restarting operator replicas. Each replica gets a fresh OperatorDeps and
 * a fresh operator from the hook (operator-hook.ts); while the schedule's crash budget lasts, a new replica
 * may draw a crash point. A dead replica is replaced after a delay, as a Deployment would; a graceful restart
 * calls stop() first and gives it a termination grace period.
 */
import { buildDeps } from './deps.js';
import type { OperatorFactory } from './operator-hook.js';
import { Replica } from './process.js';
import { virtualTime } from './trace.js';
import type { World } from './world.js';

const GRACE_PERIOD_MS = 30_000;

export class Replicas {
  #next = 0;
  crashBudget: number;
  /** No new crash points (the schedule heals). */
  healed = false;

  constructor(
    readonly w: World,
    readonly factory: OperatorFactory,
  ) {
    this.crashBudget = w.plan.crashBudget;
  }

  get alive(): Replica[] {
    return this.w.replicas.filter((r) => r.alive);
  }

  start(): Replica {
    const w = this.w;
    const r = new Replica(`op-${this.#next++}`, () => w.sched.now());
    r.onCrash = (why) => this.kill(r, why, true);
    const planned = w.plan.crashAt?.[this.#next - 1];
    const plannedAfter = w.plan.crashAfterMs?.[this.#next - 1];
    if (w.plan.crashAt || w.plan.crashAfterMs) {
      r.crashAt = planned;
      r.crashAfter = plannedAfter === undefined ? undefined : w.chaosEnd - w.plan.chaosMs + plannedAfter;
    } else if (!this.healed && this.crashBudget > 0 && w.prng.chance(0.6)) {
      // Any moment of the chaos phase: the first port call issued or answered after it.
      r.crashAfter = w.prng.int(w.sched.now(), w.chaosEnd);
      this.crashBudget--;
    }
    w.replicas.push(r);
    const plan = r.crashAt
      ? ` (will crash at port event ${r.crashAt})`
      : r.crashAfter
        ? ` (will crash after ${virtualTime(r.crashAfter)})`
        : '';
    w.trace.add(r.name, 'process', `started${plan}`);
    const op = this.factory(w.config, buildDeps(w, r), { exit: (why) => this.kill(r, why, true) });
    r.operator = op;
    r.baseline = op.diagnostics();
    op.start().catch((e: unknown) => {
      if (r.alive)
        w.checker.report(
          'operator-runs',
          `${r.name}: start() failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
    });
    return r;
  }

  /** The process dies: timers, watches and replies are gone; in-flight calls take effect now or never. */
  kill(r: Replica, why: string, restart: boolean): void {
    if (!r.alive) return;
    r.alive = false;
    this.w.sched.kill(r.name);
    this.w.api.forget(r.name);
    this.w.trace.add(r.name, 'process', why);
    this.w.trace.count(restart && why.startsWith('crashed') ? 'replica crashed' : 'replica stopped');
    this.w.net.resolveInFlight(r);
    if (restart) this.w.sched.schedule(this.w.prng.latency(1_000, 60_000), () => this.start());
  }

  /** SIGTERM: stop() within the grace period, then the process exits; a new replica starts after a delay. */
  gracefulRestart(): void {
    const alive = this.alive;
    if (!alive.length) return;
    const r = this.w.prng.pick(alive);
    this.w.trace.add(r.name, 'process', 'SIGTERM (graceful stop)');
    let done = false;
    const exit = (why: string): void => {
      if (done) return;
      done = true;
      this.kill(r, why, true);
    };
    r.operator?.stop().then(
      () => exit('exited after stop()'),
      (e: unknown) => exit(`stop() failed: ${e instanceof Error ? e.message : String(e)}`),
    );
    this.w.sched.schedule(GRACE_PERIOD_MS, () => exit('killed at the end of the grace period'));
  }

  /** From now on nobody crashes. */
  heal(): void {
    this.healed = true;
    for (const r of this.alive) r.crashAt = r.crashAfter = undefined;
  }
}
