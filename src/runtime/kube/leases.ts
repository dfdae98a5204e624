/**
 * LeaseStore over coordination.k8s.io/v1. Every call honours its AbortSignal: the elector aborts a renew that
 * has not answered by the renew deadline, so that a leader cut off from the API server stops in time.
 */
import * as k8s from '@kubernetes/client-node';
import { isNotFound, type LeaseRecord, type LeaseStore } from '../kube-api.js';
import { withSignal } from './options.js';

export class KubeLeaseStore implements LeaseStore {
  readonly #api: k8s.CoordinationV1Api;

  constructor(kc: k8s.KubeConfig) {
    this.#api = kc.makeApiClient(k8s.CoordinationV1Api);
  }

  async get(namespace: string, name: string, signal?: AbortSignal): Promise<LeaseRecord | undefined> {
    try {
      return fromLease(await this.#api.readNamespacedLease({ namespace, name }, withSignal(signal)));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async create(lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord> {
    const body = toLease(lease);
    return fromLease(
      await this.#api.createNamespacedLease({ namespace: lease.namespace, body }, withSignal(signal)),
    );
  }

  async update(lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord> {
    const body = toLease(lease);
    return fromLease(
      await this.#api.replaceNamespacedLease(
        { namespace: lease.namespace, name: lease.name, body },
        withSignal(signal),
      ),
    );
  }
}

function toLease(l: LeaseRecord): k8s.V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: l.name, namespace: l.namespace, resourceVersion: l.resourceVersion },
    spec: {
      holderIdentity: l.holderIdentity,
      leaseDurationSeconds: l.leaseDurationSeconds,
      acquireTime: l.acquireTime ? new k8s.V1MicroTime(l.acquireTime) : undefined,
      renewTime: l.renewTime ? new k8s.V1MicroTime(l.renewTime) : undefined,
      leaseTransitions: l.leaseTransitions,
    },
  };
}

function fromLease(l: k8s.V1Lease): LeaseRecord {
  const spec = l.spec ?? {};
  return {
    namespace: l.metadata?.namespace ?? '',
    name: l.metadata?.name ?? '',
    resourceVersion: l.metadata?.resourceVersion,
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: spec.acquireTime ? new k8s.V1MicroTime(spec.acquireTime).toISOString() : undefined,
    renewTime: spec.renewTime ? new k8s.V1MicroTime(spec.renewTime).toISOString() : undefined,
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}
