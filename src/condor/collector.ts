/** Reads slot ads from a pool's collector (condor_status): pilots that joined, and whether they are busy. */
import type { CondorCli } from './cli.js';
import { parseJsonAds, type JobAd } from './parse.js';
import type { CollectorApi } from './schedd-api.js';
import { classAdLiteral } from './submit-description.js';

/**
 * A collector that does not answer must not hold a reconcile for the CLI's default minute: a VirtualCluster
 * asks again on its next pass anyway.
 */
const COLLECTOR_TIMEOUT_MS = 20_000;

export class CollectorClient implements CollectorApi {
  constructor(
    readonly cli: CondorCli,
    /** host[:port]; empty for the configured COLLECTOR_HOST. */
    readonly pool: string | undefined,
  ) {}

  get label(): string {
    return this.pool || 'local';
  }

  /** Slot ads matching `constraint`, projected to `attributes`. */
  async slots(constraint: string, attributes: readonly string[]): Promise<JobAd[]> {
    const args = ['-constraint', constraint, '-json', '-attributes', ['Name', ...attributes].join(',')];
    if (this.pool) args.unshift('-pool', this.pool);
    const r = await this.cli.run('condor_status', args, {
      target: this.label,
      purpose: 'pilots',
      timeoutMs: COLLECTOR_TIMEOUT_MS,
    });
    return parseJsonAds(r.stdout);
  }

  pilotSlots(virtualCluster: string, attributes: readonly string[]): Promise<JobAd[]> {
    return this.slots(`VirtualCluster == ${classAdLiteral(virtualCluster)}`, attributes);
  }
}
