/**
 * Which of the operator's schedds a new HPCJob goes to, when it is configured with several (pure). HTCondor
 * grows by adding schedds (access points); the operator spreads HPCJobs that name no VirtualCluster over
 * the list it is given (--schedd-names), by one of two policies:
 *
 * - `LeastQueued` (the default): the schedd with the fewest of this operator's jobs in its queue plus
 *   submissions on their way to it, as each schedd's tracker already knows them (no extra call); ties go
 *   to the earlier one in the list.
 * - `Namespace`: a stable hash of the HPCJob's namespace picks a home schedd, so that a namespace's jobs
 *   stay together (one schedd's queue, history and accounting per team); when the home schedd does not
 *   answer, the next one in the list that does.
 *
 * Only schedds that answer and have been read are chosen: a schedd that is down does not stop the others.
 * The choice is made once per HPCJob and recorded (placement.ts): later attempts and the cleanup stay there.
 */
import type { ScheddTarget } from '../../condor/schedd-api.js';

export const SPREAD_POLICIES = ['LeastQueued', 'Namespace'] as const;
export type SpreadPolicy = (typeof SPREAD_POLICIES)[number];

/** The schedds HPCJobs without a VirtualCluster are spread over, and how. */
export interface Spread {
  targets: ScheddTarget[];
  policy: SpreadPolicy;
}

/** What the reconcile knows of one configured schedd (from its backend, in memory). */
export interface ScheddCandidate {
  target: ScheddTarget;
  /** Its label (scheddLabel), as status.schedd records it. */
  name: string;
  reachable: boolean;
  /** Read at least once since start (before that, its load is not known). */
  synced: boolean;
  /** This operator's jobs in its queue plus submissions on their way to it. */
  load: number;
  lastError?: string;
}

export type SpreadChoice =
  | { kind: 'chosen'; candidate: ScheddCandidate; skipped: ScheddCandidate[] }
  /** Some schedd answers but none has been read yet: wait for a read (at start, a second or so). */
  | { kind: 'waiting'; candidate: ScheddCandidate }
  /** No schedd answers. */
  | { kind: 'unreachable'; candidate: ScheddCandidate; down: ScheddCandidate[] };

/** Picks the schedd for a new HPCJob in `namespace` among `candidates` (in configured order, at least one). */
export function chooseSchedd(
  candidates: readonly ScheddCandidate[],
  policy: SpreadPolicy,
  namespace: string,
): SpreadChoice {
  const first = candidates[0];
  if (!first) throw new Error('chooseSchedd needs at least one schedd');
  const usable = candidates.filter((c) => c.reachable && c.synced);
  const skipped = candidates.filter((c) => !c.reachable);
  if (usable.length === 0) {
    const answering = candidates.find((c) => c.reachable);
    if (answering) return { kind: 'waiting', candidate: answering };
    return { kind: 'unreachable', candidate: first, down: skipped };
  }
  const candidate = policy === 'Namespace' ? homeOf(candidates, namespace) : leastQueued(usable);
  return { kind: 'chosen', candidate, skipped };
}

function leastQueued(usable: readonly ScheddCandidate[]): ScheddCandidate {
  let best = usable[0] as ScheddCandidate;
  for (const c of usable) if (c.load < best.load) best = c;
  return best;
}

/**
 * The namespace's home schedd (its hash modulo the list's length), or the next one in the list that is
 * usable: the hash is over the whole list, so a schedd that is down for a while moves only its own
 * namespaces, and they come back to it when it answers again.
 */
function homeOf(candidates: readonly ScheddCandidate[], namespace: string): ScheddCandidate {
  const n = candidates.length;
  const home = namespaceHash(namespace) % n;
  for (let i = 0; i < n; i++) {
    const c = candidates[(home + i) % n] as ScheddCandidate;
    if (c.reachable && c.synced) return c;
  }
  throw new Error('homeOf called without a usable schedd');
}

/** FNV-1a (32 bit) of the namespace: stable across restarts, versions and replicas (no seed, no Node hash). */
export function namespaceHash(namespace: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(namespace)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** What SchedulerReachable says of schedds passed over (they did not answer) when the HPCJob was placed. */
export function skippedNote(skipped: readonly ScheddCandidate[]): string {
  if (skipped.length === 0) return '';
  const names = skipped.map((c) => c.name).join(', ');
  return `; passed over when this HPCJob was placed, not answering: ${names}`;
}
