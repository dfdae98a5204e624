/**
 * HPCJobSets in a schedule: half the worlds have one or two, of 2-8 indices (a count, or items), some with
 * a parallelism below their size, each with a retry limit for its indices; and what the user does to them:
 * suspend and resume, cancel the whole set, cancel some indices, delete. Drawn from a stream of their own,
 * so that every other draw of a seed (jobs, faults, VirtualClusters) stays what it was.
 */
import { Prng } from '../prng.js';

const MINUTE = 60_000;

export interface SetPlan {
  at: number;
  ns: string;
  name: string;
  /** Number of indices. */
  size: number;
  /** spec.items (one item per index) instead of spec.count. */
  items: boolean;
  parallelism?: number;
  retryLimit: number;
}

export type SetActionKind =
  'set-suspend' | 'set-unsuspend' | 'set-cancel' | 'set-cancel-indices' | 'set-delete';

export interface SetAction {
  at: number;
  kind: SetActionKind;
  ns: string;
  name: string;
  /** set-cancel-indices: the annotation's value ("1,3-4"). */
  indices?: string;
}

const SET_STREAM = 0x5e75;

/** The sets of a schedule and the user's actions on them. */
export function drawSets(
  seed: number,
  tenants: readonly string[],
  chaosMs: number,
): { sets: SetPlan[]; actions: SetAction[] } {
  const prng = new Prng(seed ^ SET_STREAM);
  if (!prng.chance(0.5)) return { sets: [], actions: [] };
  const sets = Array.from({ length: prng.int(1, 2) }, (_, i): SetPlan => {
    const size = prng.int(2, 8);
    return {
      at: prng.int(0, chaosMs / 2),
      ns: prng.pick([...tenants]),
      name: `set-${i}`,
      size,
      items: prng.chance(0.4),
      parallelism: prng.chance(0.4) ? prng.int(1, size - 1) : undefined,
      retryLimit: prng.int(0, 2),
    };
  });
  const actions = sets.flatMap((s) => drawActions(prng, s, chaosMs));
  return { sets, actions: actions.sort((a, b) => a.at - b.at) };
}

function drawActions(prng: Prng, s: SetPlan, chaosMs: number): SetAction[] {
  const at = () => prng.int(s.at + 1_000, Math.max(s.at + 2_000, chaosMs));
  const base = { ns: s.ns, name: s.name };
  const kind = prng.weighted({
    none: 35,
    suspend: 20,
    cancel: 10,
    'cancel-indices': 20,
    delete: 15,
  });
  switch (kind) {
    case 'none':
      return [];
    case 'suspend': {
      const from = at();
      const to = prng.int(from, from + 3 * MINUTE);
      return [
        { ...base, at: from, kind: 'set-suspend' },
        { ...base, at: to, kind: 'set-unsuspend' },
      ];
    }
    case 'cancel-indices': {
      const first = prng.int(0, s.size - 1);
      const last = prng.int(first, s.size - 1);
      const indices = first === last ? String(first) : `${first}-${last}`;
      return [{ ...base, at: at(), kind: 'set-cancel-indices', indices }];
    }
    default:
      return [{ ...base, at: at(), kind: `set-${kind}` }];
  }
}
