/** Reads slot ads from a pool's collector (condor_status): pilots that joined, and whether they are busy. */
import type { CondorCli } from './cli.js';
import { parseJsonAds, type JobAd } from './parse.js';

export class CollectorClient {
  constructor(
    readonly cli: CondorCli,
    /** host[:port]; empty for the configured COLLECTOR_HOST. */
    readonly pool: string | undefined,
  ) {}

  /** Slot ads matching `constraint`, projected to `attributes`. */
  async slots(constraint: string, attributes: readonly string[]): Promise<JobAd[]> {
    const args = ['-constraint', constraint, '-json', '-attributes', ['Name', ...attributes].join(',')];
    if (this.pool) args.unshift('-pool', this.pool);
    const r = await this.cli.run('condor_status', args, { target: this.pool ?? 'local', purpose: 'pilots' });
    return parseJsonAds(r.stdout);
  }
}
