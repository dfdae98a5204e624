/**
 * Maintenance windows in the VirtualCluster transition: pilots shortened to end before the next window, held
 * back while one is on or too near, and the SiteMaintenance condition with its Event. Pure: builders, no I/O.
 */
import { describe, expect, it } from '@jest/globals';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { findStatusCondition } from '../../runtime/conditions.js';
import type { MaintenanceWindow } from '../../sites/maintenance.js';
import { makeObservation } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster, VC_CREATED } from '../../../test/support/builders/virtualcluster.js';
import type { Plan, SiteEffect, TransitionConfig } from './model.js';
import { placeOf } from './places.js';
import { EventReason, SiteMaintenanceReason } from './reasons.js';
import { transition } from './transition.js';

const NOW = VC_CREATED + 600_000;
const MIN = 60_000;
const CONFIG: TransitionConfig = { activePollMs: 5000, steadyPollMs: 30_000 };

const vc = (): VirtualCluster =>
  makeVirtualCluster()
    .withFinalizer()
    .allocation((a) => a.slurm('login.example').workers({ count: 1 }).set({ walltime: '1h' }))
    .obj();
const window = (startMin: number, lengthMin: number, name = 'maint1'): MaintenanceWindow => ({
  name,
  startMs: NOW + startMin * MIN,
  endMs: NOW + (startMin + lengthMin) * MIN,
});
function plan(windows?: MaintenanceWindow[], now = NOW): Plan {
  const v = vc();
  const a = v.spec.allocations?.[0];
  if (!a) throw new Error('no allocation');
  return transition(v, makeObservation().listed(placeOf(v, a), [], { windows }).obj(), now, CONFIG);
}
const submitted = (p: Plan) =>
  p.effects.filter((e): e is Extract<SiteEffect, { kind: 'submitPilots' }> => e.kind === 'submitPilots');
const maintenance = (p: Plan) => findStatusCondition(p.status?.conditions, 'SiteMaintenance');

describe('maintenance windows', () => {
  it('submits a pilot that ends 5 minutes before a window that starts within its walltime', () => {
    const p = plan([window(30, 60)]);
    const [submit] = submitted(p);
    expect(submit?.pilots[0]?.script).toContain('#SBATCH --time=00:25:00');
    expect(maintenance(p)).toMatchObject({ status: 'True', reason: SiteMaintenanceReason.PilotsShortened });
    expect(maintenance(p)?.message).toMatch(/^allocation site1: maintenance maint1 from .* pilots run 1500s/);
    expect(p.events).toContainEqual(expect.objectContaining({ reason: EventReason.SiteMaintenance }));
  });

  it('submits no pilot while a window is too near for 15 minutes of work, and says until when', () => {
    const p = plan([window(10, 60)]);
    expect(submitted(p)).toEqual([]);
    expect(maintenance(p)).toMatchObject({ status: 'True', reason: SiteMaintenanceReason.Waiting });
    expect(p.status?.allocations?.[0]?.message).toBe(
      `maintenance maint1 until ${new Date(NOW + 70 * MIN).toISOString().replace(/\.\d{3}Z$/, 'Z')}: no pilot is submitted before then`,
    );
    expect(p.events.map((e) => e.reason)).toContain(EventReason.SiteMaintenance);
  });

  it('submits no pilot during a window, and the full walltime once it is over', () => {
    expect(submitted(plan([window(-10, 20)]))).toEqual([]);
    const after = plan([window(-10, 20)], NOW + 11 * MIN);
    expect(submitted(after)[0]?.pilots[0]?.script).toContain('#SBATCH --time=01:00:00');
    expect(maintenance(after)).toMatchObject({ status: 'False', reason: SiteMaintenanceReason.NoWindow });
  });

  it('keeps the walltime when the next window is past it, and says so only once the windows were read', () => {
    const far = plan([window(120, 60)]);
    expect(submitted(far)[0]?.pilots[0]?.script).toContain('#SBATCH --time=01:00:00');
    expect(maintenance(far)).toMatchObject({ status: 'False', reason: SiteMaintenanceReason.NoWindow });
    expect(far.events.map((e) => e.reason)).not.toContain(EventReason.SiteMaintenance);
    expect(maintenance(plan(undefined))).toBeUndefined();
  });
});
