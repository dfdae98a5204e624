/** The real CondorConnector: schedd and collector clients over the condor_* tools. */
import type { CondorCli } from './cli.js';
import { CollectorClient } from './collector.js';
import { ScheddClient } from './schedd.js';
import type { CondorConnector } from './schedd-api.js';

export function cliConnector(cli: CondorCli): CondorConnector {
  return {
    schedd: (target) => new ScheddClient(cli, target),
    collector: (pool) => new CollectorClient(cli, pool),
  };
}
