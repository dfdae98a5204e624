/**
 * Places on the sites (pure): where an allocation puts its pilots and the pool token, as recorded in
 * status.sites. A place is identified by where it is (allocation, batch system, login host, port, user,
 * directory, pilot prefix); how to get in (the Secret, an inline host key) may change without making it
 * another place. Records outlive the allocation that made them, so that a removed or moved allocation's
 * pilots and token can still be reached and cleaned (defect 8).
 */
import { createHash } from 'node:crypto';
import {
  ALLOCATION_DEFAULTS,
  type Allocation,
  type SitePlace,
  type VirtualCluster,
} from '../../crds/virtualcluster.js';
import { siteDirPlain } from './pilots.js';
import { pilotPrefix, sequenceOf } from './planning.js';
import type { BatchJob } from '../../sites/batch.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The place allocation `a` of `vc` uses now. */
export function placeOf(vc: VirtualCluster, a: Allocation): SitePlace {
  return {
    allocation: a.name,
    batchSystem: a.batchSystem,
    loginHost: a.loginHost,
    port: a.port ?? ALLOCATION_DEFAULTS.port,
    user: a.user,
    directory: siteDirPlain(vc, a),
    pilotPrefix: pilotPrefix(vc.metadata.uid as string, a.name, sha256),
    secretName: a.credentials.secretName,
    ...(a.credentials.hostKey ? { hostKey: a.credentials.hostKey } : {}),
  };
}

/** Where a place is, as one string: equal keys, same place. */
export function placeKey(p: SitePlace): string {
  return JSON.stringify([
    p.allocation,
    p.batchSystem,
    p.loginHost,
    p.port,
    p.user,
    p.directory,
    p.pilotPrefix,
  ]);
}

/** The record without its cleanup state: what is needed to reach the place. */
export function bare(p: SitePlace): SitePlace {
  const { cleanup: _cleanup, ...rest } = p;
  return rest;
}

/** Whether a pilot (by name) was sent from `p`: its prefix, and below the bound once the place is retired. */
export function isPilotOf(p: SitePlace, name: string, everySequence = false): boolean {
  const seq = sequenceOf(name, p.pilotPrefix);
  if (seq < 0) return false;
  return everySequence || p.cleanup === undefined || seq < p.cleanup.pilotsBelow;
}

/** Active (queued or running) jobs. */
export function active(jobs: readonly BatchJob[]): BatchJob[] {
  return jobs.filter((j) => j.state === 'queued' || j.state === 'running');
}

/** The current places of the spec's allocations, by place key. */
export function currentPlaces(vc: VirtualCluster): Map<string, SitePlace> {
  const out = new Map<string, SitePlace>();
  for (const a of vc.spec.allocations ?? []) {
    const p = placeOf(vc, a);
    out.set(placeKey(p), p);
  }
  return out;
}

/**
 * The places to clean when the VirtualCluster is deleted or its lifetime ended: every recorded place, and,
 * for a VirtualCluster from before places were recorded (no status.sites at all), the current place of each
 * allocation that numbered pilots. A place never recorded was never touched: nothing to clean there, so an
 * allocation whose site never answered cannot hold up the deletion, nor can a Terminated one (all clean).
 */
export function placesToClean(vc: VirtualCluster): SitePlace[] {
  const recorded = vc.status?.sites ?? [];
  const current = currentPlaces(vc);
  // A recorded place an allocation still uses is reached with the allocation's login of now.
  const out = new Map<string, SitePlace>(
    recorded.map((p) => {
      const key = placeKey(p);
      const now = current.get(key);
      return [key, now ? { ...now, ...(p.cleanup ? { cleanup: p.cleanup } : {}) } : p];
    }),
  );
  // status.sites is written (maybe empty) by every pass that looked at a site: absent, the status is older.
  const legacy = vc.status !== undefined && vc.status.sites === undefined;
  for (const a of vc.spec.allocations ?? []) {
    const numbered = (vc.status?.allocations?.find((s) => s.name === a.name)?.nextSequence ?? 0) > 0;
    if (legacy && numbered) {
      const p = placeOf(vc, a);
      out.set(placeKey(p), p);
    }
  }
  return [...out.values()];
}

/** The places the controller looks at while the VirtualCluster lives: current ones, then retired records. */
export function placesToWatch(vc: VirtualCluster): SitePlace[] {
  const out = currentPlaces(vc);
  for (const p of vc.status?.sites ?? []) {
    const key = placeKey(p);
    if (!out.has(key)) out.set(key, p);
  }
  return [...out.values()];
}
