/** Several schedds of the default pool: the settings that spread over them and what a reconcile reads of each. */
import { scheddLabel, type ScheddTarget } from '../../../src/condor/schedd-api.js';
import type { ScheddCandidate, SpreadPolicy } from '../../../src/controllers/hpcjob/spread.js';
import type { HPCJobSettings } from '../../../src/controllers/hpcjob/transition-types.js';
import { defaultSettings } from './hpcjob.js';

export const POOL = 'cm:9618';
export const targetOf = (name: string): ScheddTarget => ({ name, pool: POOL });

/** Settings whose default pool is `names` (the first is the default target), spread by `policy`. */
export function spreadSettings(names: string[], policy: SpreadPolicy = 'LeastQueued'): HPCJobSettings {
  const targets = names.map(targetOf);
  return defaultSettings({ defaultTarget: targets[0], spread: { targets, policy } });
}

/** One configured schedd as a reconcile sees it: by default it answers, was read, and holds nothing of ours. */
export class CandidateBuilder {
  readonly #c: ScheddCandidate;

  constructor(name: string) {
    const target = targetOf(name);
    this.#c = { target, name: scheddLabel(target), reachable: true, synced: true, load: 0 };
  }

  load(n: number): this {
    this.#c.load = n;
    return this;
  }

  down(error = 'Failed to connect to queue manager'): this {
    this.#c.reachable = false;
    this.#c.lastError = error;
    return this;
  }

  /** Answers, but has not been read yet (the operator just started). */
  unread(): this {
    this.#c.synced = false;
    return this;
  }

  obj(): ScheddCandidate {
    return structuredClone(this.#c);
  }
}

export const candidate = (name: string): CandidateBuilder => new CandidateBuilder(name);
