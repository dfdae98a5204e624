import { describe, expect, it } from '@jest/globals';
import { ConfigError, defaultScheddNames, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('uses defaults, then environment, then flags', () => {
    expect(parseConfig([], {}).workers).toBe(4);
    expect(parseConfig([], { HPCOP_WORKERS: '8' }).workers).toBe(8);
    expect(parseConfig(['--workers=2'], { HPCOP_WORKERS: '8' }).workers).toBe(2);
    expect(parseConfig(['--workers', '3'], {}).workers).toBe(3);
  });

  it('reads booleans with or without a value', () => {
    expect(parseConfig([], {}).leaderElect).toBe(true);
    expect(parseConfig(['--leader-elect=false'], {}).leaderElect).toBe(false);
    expect(
      parseConfig(['--leader-elect', '--workers', '1'], { HPCOP_LEADER_ELECT: 'false' }).leaderElect,
    ).toBe(true);
  });

  it('names the Lease after the operator id unless --leader-election-id is given', () => {
    expect(parseConfig([], {}).leaderElectionId).toBe('hpc-operator.hpc.scailfin.io');
    expect(parseConfig(['--operator-id=tenant-b'], {}).leaderElectionId).toBe('tenant-b.hpc.scailfin.io');
    expect(parseConfig(['--operator-id=tenant-b', '--leader-election-id=shared'], {}).leaderElectionId).toBe(
      'shared',
    );
    expect(() => parseConfig(['--operator-id=Tenant_B'], {})).toThrow(
      /--operator-id "Tenant_B" cannot name the leader election Lease.*set --leader-election-id/,
    );
    // An id that cannot name a Lease is fine when the Lease is named explicitly.
    expect(parseConfig(['--operator-id=Tenant_B', '--leader-election-id=b'], {}).operatorId).toBe('Tenant_B');
  });

  it('refuses unknown flags and bad values with the flag name', () => {
    expect(() => parseConfig(['--wokers=2'], {})).toThrow(ConfigError);
    expect(() => parseConfig(['--workers=0'], {})).toThrow(/--workers must be a positive integer/);
    expect(() => parseConfig(['--leader-elect=maybe'], {})).toThrow(/--leader-elect must be true or false/);
    expect(() => parseConfig(['--schedd-name'], {})).toThrow(/needs a value/);
  });

  it('takes condor_gpu_discovery options for pilots with GPUs, and nothing HTCondor or a shell would expand', () => {
    expect(parseConfig([], {}).pilotGpuDiscoveryExtra).toBe('');
    expect(parseConfig(['--pilot-gpu-discovery-extra=-simulate:4,2'], {}).pilotGpuDiscoveryExtra).toBe(
      '-simulate:4,2',
    );
    expect(parseConfig([], { HPCOP_PILOT_GPU_DISCOVERY_EXTRA: '-nvml -extra' }).pilotGpuDiscoveryExtra).toBe(
      '-nvml -extra',
    );
    for (const bad of ['$(LIBEXEC)', 'simulate', '-simulate;reboot', '-a $(X)'])
      expect(() => parseConfig([`--pilot-gpu-discovery-extra=${bad}`], {})).toThrow(
        /--pilot-gpu-discovery-extra must be condor_gpu_discovery options/,
      );
  });

  it('reads the default pool as one schedd (--schedd-name) or several (--schedd-names) and a spread policy', () => {
    const none = parseConfig([], {});
    expect(defaultScheddNames(none)).toEqual(['']);
    expect(none.scheddSpread).toBe('LeastQueued');
    expect(defaultScheddNames(parseConfig(['--schedd-name=s1@ap'], {}))).toEqual(['s1@ap']);
    const several = parseConfig(['--schedd-names= s1@ap, s2@ap,', '--schedd-spread=Namespace'], {});
    expect(defaultScheddNames(several)).toEqual(['s1@ap', 's2@ap']);
    expect(several.scheddSpread).toBe('Namespace');
    expect(defaultScheddNames(parseConfig([], { HPCOP_SCHEDD_NAMES: 'x@ap,y@ap' }))).toEqual([
      'x@ap',
      'y@ap',
    ]);
    expect(() => parseConfig(['--schedd-spread=RoundRobin'], {})).toThrow(
      /--schedd-spread must be one of LeastQueued, Namespace/,
    );
    // --schedd-names replaces --schedd-name (which the environment may set for every process).
    expect(defaultScheddNames(parseConfig(['--schedd-names=a,b'], { HPCOP_SCHEDD_NAME: 'c' }))).toEqual([
      'a',
      'b',
    ]);
    expect(() => parseConfig(['--schedd-names=a,b,a'], {})).toThrow(/names a twice/);
  });
});
