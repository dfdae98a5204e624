/**
 * THE hook between the simulation and the operator: what runs in each replica. Until src/operator.ts exists
 * this is the stand-in of test/sim/standin; the lead points it at buildOperator:
 *
 *   import { buildOperator } from '../../src/operator.js';
 *   export const startReplica: OperatorFactory = (config, deps) => buildOperator(config, deps);
 */
import type { OperatorConfig } from '../../src/config.js';
import type { OperatorDeps } from '../../src/operator-deps.js';
import type { SimOperator } from './process.js';
import { buildStandIn } from './standin/operator.js';

export type OperatorFactory = (config: OperatorConfig, deps: OperatorDeps) => SimOperator;

export const startReplica: OperatorFactory = (config, deps) => buildStandIn(config, deps);
