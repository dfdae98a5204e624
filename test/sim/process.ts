/**
 * The operator process model. A replica is one OperatorDeps bundle bound to a name (its identity in the
 * Lease and in Events). It dies at a planned port event (the n-th call issued or reply received, drawn from
 * the PRNG): from then on its calls never resolve, its timers and watches are dropped, and each of its calls
 * still in flight takes effect at that instant or never. A graceful stop calls the operator's stop() first.
 */
import type { Caller, InFlight } from './net.js';

export interface SimOperator {
  start(): Promise<void>;
  stop(): Promise<void>;
  diagnostics(): Record<string, number>;
}

export class Replica implements Caller {
  alive = true;
  readonly inflight = new Set<InFlight>();
  /** Port events so far (issues and replies). */
  portEvents = 0;
  /** Dies at this port event; undefined: not planned. */
  crashAt: number | undefined;
  /** Dies at the first port event at or after this virtual time; undefined: not planned. */
  crashAfter: number | undefined;
  operator: SimOperator | undefined;
  /** Diagnostics right after start() resolved: counts must fall back to these once everything is deleted. */
  baseline: Record<string, number> | undefined;
  readonly startedAt: number;
  /** Called when the replica dies at a crash point (the world drops its timers and watches). */
  onCrash: (why: string) => void = () => undefined;

  constructor(
    readonly name: string,
    readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  crashPoint(what: string): boolean {
    if (!this.alive) return true;
    this.portEvents++;
    const due =
      this.crashAt === this.portEvents || (this.crashAfter !== undefined && this.now() >= this.crashAfter);
    if (!due) return false;
    this.onCrash(`crashed while ${what}`);
    return true;
  }
}
