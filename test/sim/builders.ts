/**
 * The objects the simulated user creates, built from a plan's entries: HPCJobs (a REANA workspace, chirp or
 * condor-transfer staging, maybe a VirtualCluster, a retry limit) and VirtualClusters (one allocation on one
 * site, the pool token, or the pool signing key it mints per-pilot tokens with, and SSH key in Secrets).
 */
import { generateKeyPairSync } from 'node:crypto';
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

export function signingKeySecretName(v: VcPlan): string {
  return `${v.name}-signing-key`;
}

/** The pool signing key of a VirtualCluster's pool (spec.pool.pilotTokens): one per VirtualCluster. */
export function signingKeyOf(v: VcPlan): string {
  return `sim-signing-key ${v.ns}/${v.name} ${v.collectorHost}`;
}

/** The pool's TRUST_DOMAIN (the host of its collector). */
export function trustDomainOf(v: VcPlan): string {
  return v.collectorHost.replace(/:\d+$/, '');
}

/**
 * Real (parseable) SSH keys, one per VirtualCluster slot: the operator checks that a key parses before it
 * uses it. Made once per process (a few ms each); their bytes never reach a trace, so replays stay exact.
 */
const keys: string[] = [];

/** The private key the site of a VirtualCluster accepts. */
export function sshKeyOf(v: VcPlan): string {
  const i = Number(/(\d+)$/.exec(v.name)?.[1] ?? 0);
  while (keys.length <= i) {
    const pair = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    keys.push(pair.privateKey);
  }
  return keys[i] as string;
}

/** The pool token of a VirtualCluster (unique, to find leftovers on sites). */
export function poolTokenOf(v: VcPlan): string {
  // An IDTOKEN's shape (header.claims.signature, base64url): the operator reads its issuer, never checks it.
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = {
    iss: 'pool.sim.example.org',
    sub: `pilot@${v.ns}.${v.name}`,
    scope: 'condor:/ADVERTISE_STARTD condor:/READ',
  };
  return `${part({ alg: 'HS256', kid: 'POOL' })}.${part(claims)}.${part({ sig: `${v.ns}/${v.name}` })}`;
}
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
        ...(v.pilotTokens
          ? {
              pilotTokens: {
                signingKeySecretRef: { name: signingKeySecretName(v), key: 'POOL' },
                trustDomain: trustDomainOf(v),
                margin: v.pilotTokens.margin,
              },
            }
          : { pilotTokenSecretRef: { name: tokenSecretName(v), key: 'token' } }),
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
