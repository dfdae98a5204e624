/**
 * THE hook between the simulation and the operator: what runs in each replica is the operator itself,
 * buildOperator (src/operator.ts) on the simulated ports. Losing leadership exits the replica's process (as
 * the real one does), which is then replaced. Tests may pass other factories (the flawed operators of
 * scenarios/flawed.ts).
 */
import type { OperatorConfig } from '../../src/config.js';
import type { OperatorDeps } from '../../src/operator-deps.js';
import { buildOperator } from '../../src/operator.js';
import type { SimOperator } from './process.js';

/** What a replica may do to its own process. */
export interface ReplicaControl {
  /** The process exits (as the real one does when it loses leadership); a new replica starts after a delay. */
  exit(why: string): void;
}

export type OperatorFactory = (
  config: OperatorConfig,
  deps: OperatorDeps,
  ctl: ReplicaControl,
) => SimOperator;

/** The operator: one replica of buildOperator per simulated process. */
export const startReplica: OperatorFactory = (config, deps, ctl) => {
  const op = buildOperator(config, deps, {
    onLostLeadership: () => ctl.exit('lost leadership: the process exits'),
    wrapperPath: config.wrapperPath,
  });
  return { start: () => op.start(), stop: () => op.stop(), diagnostics: () => op.memory() };
};
