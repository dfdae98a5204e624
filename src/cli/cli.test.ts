import { describe, expect, it } from '@jest/globals';
import type { HPCJob } from '../crds/hpcjob.js';
import type { VirtualCluster } from '../crds/virtualcluster.js';
import { COMMANDS } from './cli.js';
import { describeHPCJob, ruleText, shellWord } from './commands/describe.js';
import { budgetCell, hpcJobSection, statusLines, virtualClusterSection } from './commands/status.js';
import { describeHPCJobSet, hpcJobSetSection } from './commands/sets.js';
import type { HPCJobSet } from '../crds/hpcjobset.js';
import { parsePhases, phaseVerdict } from './commands/wait.js';
import { runPlugin } from '../../test/support/run-cli.js';

const run = runPlugin;

describe('runCli', () => {
  it('prints help for the plugin and for each command, exit 0', async () => {
    const top = await run('--help');
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.out).toContain(`  ${c.name} `);
    for (const c of COMMANDS) {
      const h = await run(c.name, '--help');
      expect(h.code).toBe(0);
      expect(h.out).toContain(`kubectl hpc ${c.name}`);
      expect(h.out).toContain('--kubeconfig FILE');
      expect((await run('help', c.name)).out).toBe(h.out);
    }
  });

  it('exits 2 on usage mistakes, with a pointer to the help', async () => {
    expect((await run()).code).toBe(2);
    const unknown = await run('frobnicate');
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.err).toContain('unknown command "frobnicate"');
    const badFlag = await run('status', '--frob');
    expect(badFlag.code).toBe(2);
    expect(badFlag.err).toBe("error: unknown flag: --frob\nSee 'kubectl hpc status --help'.\n");
    expect((await run('logs')).err).toContain('logs needs the name of an HPCJob');
    expect((await run('explain-hold', '--subcode', '2')).code).toBe(2);
    expect((await run('wait', 'x', '--for', 'Done')).err).toContain('"Done" is not a phase');
    expect((await run('retry', 'x', '--timeout', 'soon')).err).toContain('--timeout takes a duration');
  });

  it('exits 1 with one line when the cluster cannot be reached', async () => {
    const r = await run('status', '--kubeconfig', '/nonexistent/kubeconfig');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: cannot load the kubeconfig \/nonexistent\/kubeconfig/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('explains a hold code without a cluster', async () => {
    const r = await run('explain-hold', '--code', '34', '--subcode', '102');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Hold code: +34\/102 \(JobOutOfResources, Memory\)$/m);
    expect(r.out).toMatch(/^Operator: +fails the HPCJob: memory exceeded/m);
    const json = JSON.parse((await run('explain-hold', '--code', '11', '-o', 'json')).out);
    expect(json).toMatchObject({
      code: 11,
      name: 'InvalidTransferAck',
      operatorDefault: { action: 'release' },
    });
  });
});

const NOW = Date.parse('2025-03-01T12:00:00Z');

function job(name: string, status: HPCJob['status'], spec: Partial<HPCJob['spec']> = {}): HPCJob {
  return {
    apiVersion: 'hpc.scailfin.io/v1alpha1',
    kind: 'HPCJob',
    metadata: { name, namespace: 'ns', uid: 'u1', creationTimestamp: '2025-03-01T11:55:00Z' },
    spec: { command: ['/bin/sh', '-c', 'echo hi'], ...spec },
    status,
  };
}

describe('status tables', () => {
  it('has the columns people look for, and ignores the age when watching', () => {
    const jobs = [
      job('ok', { phase: 'Succeeded', attempt: 1, jobId: '12.0' }),
      job('vc', { phase: 'Queued', attempt: 2, jobId: '13.0' }, { virtualClusterRef: { name: 'grow' } }),
    ];
    const vc = {
      apiVersion: 'hpc.scailfin.io/v1alpha1',
      kind: 'VirtualCluster' as const,
      metadata: { name: 'grow', namespace: 'ns', creationTimestamp: '2025-03-01T10:00:00Z' },
      spec: { pool: { collectorHost: 'cm', pilotTokenSecretRef: { name: 't' } } },
      status: { phase: 'Running' as const, workers: { requested: 2, queued: 1, running: 1, idle: 1 } },
    };
    const o = { allNamespaces: false, wide: false, now: NOW };
    const lines = statusLines([hpcJobSection(jobs, o), virtualClusterSection([vc], o)]);
    const text = lines.map((l) => l.text).join('\n');
    expect(text).toMatch(/^HPCJOB +PHASE +ATTEMPTS +JOB +VIRTUALCLUSTER +AGE$/m);
    expect(text).toMatch(/^ok +Succeeded +1 +12\.0 +5m$/m);
    expect(text).toMatch(/^vc +Queued +2 +13\.0 +grow +5m$/m);
    expect(text).toMatch(/^VIRTUALCLUSTER +PHASE +REQUESTED +QUEUED +RUNNING +IDLE +BUSY +ERROR +AGE$/m);
    expect(text).toMatch(/^grow +Running +2 +1 +1 +1 +0 +0 +120m$/m);
    const later = statusLines([hpcJobSection(jobs, { ...o, now: NOW + 60_000 })]);
    expect(later[1]?.text).not.toBe(lines[1]?.text);
    expect(later[1]?.signature).toBe(lines[1]?.signature);
  });
});

describe('status with budgets', () => {
  it('shows used of budget per VirtualCluster only when an allocation has one', () => {
    const vc = (
      name: string,
      allocations: NonNullable<VirtualCluster['status']>['allocations'],
    ): VirtualCluster => ({
      apiVersion: 'hpc.scailfin.io/v1alpha1',
      kind: 'VirtualCluster',
      metadata: { name, namespace: 'ns', creationTimestamp: '2025-03-01T10:00:00Z' },
      spec: { pool: { collectorHost: 'cm', pilotTokenSecretRef: { name: 't' } } },
      status: { phase: 'Running', allocations },
    });
    const o = { allNamespaces: false, wide: false, now: NOW };
    const budgeted = vc('hpc', [
      { name: 'a', budget: { coreHours: 100, coreHoursUsed: '12.5', gpuHours: 10, gpuHoursUsed: '2' } },
      { name: 'b', budget: { coreHours: 50, coreHoursUsed: '40' } },
    ]);
    const text = statusLines([virtualClusterSection([budgeted, vc('plain', [{ name: 'a' }])], o)])
      .map((l) => l.text)
      .join('\n');
    expect(text).toMatch(
      /^VIRTUALCLUSTER +PHASE +REQUESTED +QUEUED +RUNNING +IDLE +BUSY +ERROR +BUDGET +AGE$/m,
    );
    expect(text).toMatch(/^hpc +Running +0 +0 +0 +0 +0 +0 +52\.5\/150 core-h 2\/10 GPU-h +120m$/m);
    expect(text).toMatch(/^plain +Running( +0){6} +- +120m$/m);
    expect(budgetCell(vc('none', []))).toBe('-');
  });
});

describe('describe', () => {
  it("shows a gang step's resources per node", () => {
    const gang = job('gang', { phase: 'Queued' }, { resources: { nodes: 2, cpus: 4, memory: '8Gi' } });
    expect(describeHPCJob(gang, [], { now: NOW, maxEvents: 20 })).toMatch(
      /^ {2}Resources: +2 nodes, each cpus 4, memory 8Gi$/m,
    );
  });

  it('shows the attempt history with holds, and the events', () => {
    const j = job(
      'held',
      {
        phase: 'Failed',
        attempt: 2,
        attempts: [
          {
            attempt: 1,
            jobId: '7.0',
            outcome: 'Retried',
            holdCode: 47,
            holdSubCode: 0,
            holdReason: 'The job exceeded allowed execute duration of 00:00:03',
            host: 'slot1@pool',
            startTime: '2025-03-01T11:56:00Z',
            endTime: '2025-03-01T11:56:04Z',
            failureCategory: 'Hold',
          },
          { attempt: 2, jobId: '8.0', outcome: 'Failed', exitCode: 3, failureCategory: 'ExitCode' },
        ],
      },
      { retryPolicy: { rules: [{ onHoldCodes: [47], action: 'retry' }] } },
    );
    const events = [
      { eventTime: new Date('2025-03-01T11:56:05Z'), type: 'Warning', reason: 'Held', note: 'held: 47' },
    ] as unknown as Parameters<typeof describeHPCJob>[1];
    const text = describeHPCJob(j, events, { now: NOW, maxEvents: 20 });
    expect(text).toMatch(/^ {2}ATTEMPT +JOB +OUTCOME +EXIT +HOLD +HOST +RUNTIME +START +END +RAN$/m);
    expect(text).toMatch(
      /^ {2}1 +7\.0 +Retried +47 \(JobExecuteExceeded\) +slot1@pool +2025-03-01T11:56:00Z +2025-03-01T11:56:04Z +4s$/m,
    );
    expect(text).toMatch(/^ {2}2 +8\.0 +Failed +3$/m);
    expect(text).toContain('#1: hold: The job exceeded allowed execute duration of 00:00:03; failure: Hold');
    expect(text).toContain(
      'Retry policy:   limit 3, release limit 3, backoff 10s x2 up to 10m; rules: hold 47 -> retry',
    );
    expect(text).toMatch(/^ {2}3m55s +Warning +Held +held: 47$/m);
    expect(describeHPCJob(j, new Error('forbidden'), { now: NOW, maxEvents: 20 })).toContain(
      'Events: cannot be read (forbidden)',
    );
  });

  it('quotes command words and summarises rules', () => {
    expect(['/bin/sh', '-c', "echo 'hi' there"].map(shellWord).join(' ')).toBe(
      `/bin/sh -c 'echo '\\''hi'\\'' there'`,
    );
    expect(ruleText({ onHoldCodes: [34], onHoldSubCodes: [102], action: 'retry', memoryFactor: 1.5 })).toBe(
      'hold 34/102 -> retry (memory x1.5)',
    );
  });
});

describe('wait', () => {
  it('reads --for and judges phases', () => {
    expect(parsePhases(undefined)).toEqual(['Succeeded', 'Failed', 'Lost']);
    expect(parsePhases('succeeded, Running')).toEqual(['Succeeded', 'Running']);
    const wanted = ['Succeeded'];
    expect(phaseVerdict(job('a', { phase: 'Running' }), wanted)).toBe('waiting');
    expect(phaseVerdict(job('a', { phase: 'Succeeded' }), wanted)).toBe('met');
    expect(phaseVerdict(job('a', { phase: 'Failed' }), wanted)).toBe('unmet');
    expect(phaseVerdict(job('a', undefined), wanted)).toBe('waiting');
  });
});

describe('HPCJobSets in status and describe', () => {
  const set: HPCJobSet = {
    apiVersion: 'hpc.scailfin.io/v1alpha1',
    kind: 'HPCJobSet',
    metadata: { name: 'sweep', namespace: 'ns', uid: 'u2', creationTimestamp: '2025-03-01T11:55:00Z' },
    spec: {
      count: 20,
      parallelism: 5,
      template: { command: ['/bin/sh', '-c', 'echo $1', 'step'], args: ['$(HPC_INDEX)'] },
    },
    status: {
      phase: 'Running',
      total: 20,
      counts: { succeeded: 12, running: 5, queued: 0, held: 0, pending: 2, failed: 1, cancelled: 0 },
      running: '13-17',
      succeeded: '0-6,8-12',
      failed: '7',
      indexRecords: [
        {
          index: 7,
          failedAttempts: 3,
          exitCode: 1,
          failureCategory: 'ExitCode',
          message: 'exited with code 1',
        },
      ],
    },
  };

  it('shows a row of counts per set', () => {
    const o = { allNamespaces: false, wide: true, now: NOW };
    const text = statusLines([hpcJobSetSection([set], o)])
      .map((l) => l.text)
      .join('\n');
    expect(text).toMatch(
      /^HPCJOBSET +PHASE +TOTAL +SUCCEEDED +RUNNING +QUEUED +HELD +PENDING +FAILED +AGE +CANCELLED +FAILED-INDICES/m,
    );
    expect(text).toMatch(/^sweep +Running +20 +12 +5 +0 +0 +2 +1 +5m +0 +7/m);
  });

  it('describes the counts, the ranges and the indices that failed', () => {
    const text = describeHPCJobSet(set, [], { now: NOW, maxEvents: 20 });
    expect(text).toContain("  Command:        /bin/sh -c 'echo $1' step '$(HPC_INDEX)'");
    expect(text).toContain('  Parallelism:    5');
    expect(text).toContain('  Indices:        20: 12 succeeded, 5 running, 2 pending, 1 failed');
    expect(text).toContain('  Failed:         7');
    expect(text).toMatch(/^ +INDEX +FAILED +LAST JOB +CATEGORY +EXIT/m);
    expect(text).toMatch(/^ +7 +3 +ExitCode +1 +exited with code 1$/m);
    expect(text).not.toContain('VirtualCluster');
  });

  it('names the VirtualCluster and the deadline of a set that has them', () => {
    const onVc = structuredClone(set);
    onVc.spec.template = {
      ...onVc.spec.template,
      virtualClusterRef: { name: 'vc' },
      activeDeadlineSeconds: 60,
    };
    onVc.status = { ...onVc.status, schedd: 'schedd@vc', virtualCluster: 'ns/vc' };
    const text = describeHPCJobSet(onVc, [], { now: NOW, maxEvents: 20 });
    expect(text).toContain('  VirtualCluster: vc\n');
    expect(text).toContain("  Deadline:       60s after each index's first submission");
    expect(text).toContain('  VirtualCluster: ns/vc\n');
  });
});
