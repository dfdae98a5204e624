/**
 * The objects the simulated user creates, built from a plan's entries: HPCJobs (a REANA workspace, chirp or
 * condor-transfer staging, maybe a VirtualCluster, a retry limit) and VirtualClusters (one allocation on one
 * site, the pool token and SSH key in Secrets).
 */
import type { HPCJob } from '../../src/crds/hpcjob.js';
import type { VirtualCluster } from '../../src/crds/virtualcluster.js';
import type { JobPlan, VcPlan } from './plan.js';

const API_VERSION = 'hpc.scailfin.io/v1alpha1';

/** Where the simulated operator's workspaces live (workspace-mounts maps /reana onto it). */
export const WORKSPACE_ROOT = '/reana';

export function workspacePath(ns: string, name: string): string {
  return `${WORKSPACE_ROOT}/users/${ns}/workflows/${name}`;
}

export function hpcJob(p: JobPlan): HPCJob {
  return {
    apiVersion: API_VERSION,
    kind: 'HPCJob',
    metadata: { name: p.name, namespace: p.ns },
    spec: {
      image: 'docker://ghcr.io/example/step:1',
      command: ['python', 'step.py'],
      containerRuntime: 'auto',
      resources: { cpus: 1, memory: '1Gi' },
      workspace: { path: workspacePath(p.ns, p.name), staging: p.staging },
      ...(p.vc ? { virtualClusterRef: { name: p.vc } } : {}),
      retryPolicy: {
        limit: p.retryLimit,
        releaseLimit: 2,
        backoff: { initial: '10s', max: '2m', factor: 2 },
      },
      suspend: false,
    },
  };
}

export function sshSecretName(v: VcPlan): string {
  return `${v.name}-ssh`;
}

export function tokenSecretName(v: VcPlan): string {
  return `${v.name}-pool-token`;
}

/** The private key a site accepts, and the pool token of a VirtualCluster (unique, to find leftovers). */
export const sshKeyOf = (v: VcPlan): string => `-----BEGIN OPENSSH PRIVATE KEY----- ${v.ns}/${v.name}`;
export const poolTokenOf = (v: VcPlan): string => `eyJ.pool-token.${v.ns}.${v.name}`;
export const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNpbXVsYXRlZA==';

export function virtualCluster(v: VcPlan): VirtualCluster {
  return {
    apiVersion: API_VERSION,
    kind: 'VirtualCluster',
    metadata: { name: v.name, namespace: v.ns },
    spec: {
      pool: {
        collectorHost: v.collectorHost,
        ...(v.scheddName ? { scheddName: v.scheddName } : {}),
        pilotTokenSecretRef: { name: tokenSecretName(v), key: 'token' },
      },
      allocations: [
        {
          name: 'main',
          batchSystem: 'slurm',
          loginHost: v.host,
          port: 22,
          user: 'alice',
          credentials: { secretName: sshSecretName(v), hostKey: HOST_KEY },
          walltime: '1h',
          workers: { count: v.workers, autoscale: 'Static', idleShutdown: '5m' },
        },
      ],
    },
  };
}
