/**
 * The HPCJob side of walltime-aware pilots: the attempt's submission carries how long the step needs a pilot
 * (HPCWalltimeNeeded, with the requirement that reads it), and a step no pilot could run to its end says so
 * (NoWorkerFits). Pure: objects from builders.
 */
import { describe, expect, it } from '@jest/globals';
import { defaultSettings, makeHPCJob, observe } from '../../../test/support/builders/hpcjob.js';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import { buildSubmitJob, WALLTIME_REQUIREMENT } from './description.js';
import { noWorkerFits } from './fit.js';
import { transition } from './transition.js';

const vc = makeVirtualCluster('vc', 'ns')
  .allocation((a) => a.set({ walltime: '1h', maxWalltime: '2h' }))
  .status((s) => s.phase('Running'))
  .obj();
vc.spec.steps = { defaultWalltime: '30m', walltimeMargin: '1m' };
const options = { operatorId: 'op', wrapperPath: '/w.sh', attemptDir: '/a' };

describe('the submission of a step on a VirtualCluster', () => {
  const submitted = (resources: { walltime?: string } = {}) => {
    const job = makeHPCJob('s', 'ns').virtualCluster('vc').spec({ resources }).obj();
    const t = transition(job, observe().virtualCluster(vc).scheduler().obj(), defaultSettings());
    return t.afterWrite.find((e) => e.kind === 'submit');
  };

  it('needs its walltime plus the margin, or the VirtualCluster default plus the margin', () => {
    expect(submitted({ walltime: '10m' })).toMatchObject({ walltimeNeededSeconds: 660 });
    expect(submitted()).toMatchObject({ walltimeNeededSeconds: 1860 });
  });

  it('carries HPCWalltimeNeeded and the requirement that pilots end after it', () => {
    const job = makeHPCJob('s', 'ns').virtualCluster('vc').obj();
    const onVc = buildSubmitJob(job, 1, { ...options, virtualCluster: 'ns/vc', walltimeNeededSeconds: 660 });
    expect(onVc.attributes.HPCWalltimeNeeded).toBe(660);
    expect(onVc.commands.requirements).toEqual({
      kind: 'expr',
      value: { expr: `(TARGET.VirtualCluster =?= MY.HPCVirtualCluster) && ${WALLTIME_REQUIREMENT}` },
    });
    // Without a need the attribute is undefined (the requirement then holds); off a VirtualCluster, neither.
    expect(
      buildSubmitJob(job, 1, { ...options, virtualCluster: 'ns/vc' }).attributes.HPCWalltimeNeeded,
    ).toBeNull();
    const plain = buildSubmitJob(makeHPCJob('p', 'ns').obj(), 1, options);
    expect('HPCWalltimeNeeded' in plain.attributes).toBe(false);
    expect(JSON.stringify(plain.commands.requirements)).not.toContain('HPCPilotEnd');
  });
});

describe('a step longer than any pilot can run it', () => {
  it('fits no worker, naming how long it needs and how long the pilots run steps', () => {
    const long = makeHPCJob('s', 'ns')
      .virtualCluster('vc')
      .spec({ resources: { walltime: '2h' } })
      .obj();
    expect(noWorkerFits(long, vc)).toBe(
      "the step needs a pilot for 7260s (its walltime and the margin of VirtualCluster vc) but no pilot runs steps that long (site1: 6540s): it would stay idle; lower resources.walltime or raise the allocations' maxWalltime",
    );
    const fits = makeHPCJob('s', 'ns')
      .virtualCluster('vc')
      .spec({ resources: { walltime: '1h' } })
      .obj();
    expect(noWorkerFits(fits, vc)).toBeUndefined();
  });
});

describe('the submission of a gang step', () => {
  it('goes to the parallel universe on that many nodes of one pilot of its size', () => {
    const job = makeHPCJob('g', 'ns')
      .virtualCluster('vc')
      .spec({ resources: { nodes: 2, cpus: 2 } })
      .obj();
    const gang = buildSubmitJob(job, 1, { ...options, virtualCluster: 'ns/vc' });
    expect(gang.commands.universe).toEqual({ kind: 'string', value: 'parallel' });
    expect(gang.commands.machine_count).toEqual({ kind: 'int', value: 2 });
    expect(gang.commands.request_cpus).toEqual({ kind: 'int', value: 2 });
    expect(gang.attributes.WantParallelSchedulingGroups).toBe(true);
    expect(JSON.stringify(gang.commands.requirements)).toContain('(TARGET.HPCPilotNodes =?= 2)');
    expect(gang.commands.environment).toMatchObject({ value: { HPC_STEP_NODES: '2' } });
    // One node: as before.
    const single = buildSubmitJob(makeHPCJob('s', 'ns').virtualCluster('vc').obj(), 1, options);
    expect(single.commands.universe).toEqual({ kind: 'string', value: 'vanilla' });
    expect('machine_count' in single.commands || 'WantParallelSchedulingGroups' in single.attributes).toBe(
      false,
    );
  });
});
