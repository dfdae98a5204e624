/**
 * THE hook between the simulation and the operator: what runs in each replica. `real` is the operator
 * itself (buildOperator, src/operator.ts); `standin` is the small careful operator of test/sim/standin,
 * kept while the real one lacks its VirtualCluster controller (buildOperator's extraSetup). The default
 * is SIM_OPERATOR (environment) or `standin`; `run.ts --operator real|standin` picks one per hunt.
 * Once the real operator passes, make `real` the default and delete test/sim/standin.
 */
import type { OperatorConfig } from '../../src/config.js';
import type { OperatorDeps } from '../../src/operator-deps.js';
import { buildOperator } from '../../src/operator.js';
import type { SimOperator } from './process.js';
import { buildStandIn } from './standin/operator.js';

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

export const OPERATORS: Record<'real' | 'standin', OperatorFactory> = {
  real: (config, deps, ctl) => {
    const op = buildOperator(config, deps, {
      onLostLeadership: () => ctl.exit('lost leadership: the process exits'),
      wrapperPath: config.wrapperPath,
    });
    return { start: () => op.start(), stop: () => op.stop(), diagnostics: () => op.memory() };
  },
  standin: (config, deps) => buildStandIn(config, deps),
};

export type OperatorName = keyof typeof OPERATORS;

export function operatorNamed(name: string | undefined): OperatorFactory {
  if (name === undefined || name === '') return OPERATORS.standin;
  if (name !== 'real' && name !== 'standin') throw new Error(`unknown operator ${name} (real or standin)`);
  return OPERATORS[name];
}

/** What runs in each replica unless a test or the command line says otherwise. */
export const startReplica: OperatorFactory = operatorNamed(process.env.SIM_OPERATOR);
