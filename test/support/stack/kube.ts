/** Kubernetes helpers for e2e tests. */
import * as k8s from '@kubernetes/client-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allCRDs } from '../../../src/crds/crd.js';
import { STACK, waitFor } from './stack.js';

export const HPCJOBS = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'hpcjobs' };

/** Creates or updates the CRDs from src/crds and waits until they are Established. */
export async function installCRDs(kc: k8s.KubeConfig): Promise<void> {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  for (const crd of allCRDs) {
    // Through the client's model (loadYaml), so that x-kubernetes-* keys map onto its camelCase fields and
    // survive serialisation.
    const body = k8s.loadYaml<k8s.V1CustomResourceDefinition>(JSON.stringify(crd));
    await replaceCRD(ext, crd.metadata.name, body);
    await waitFor(`CRD ${crd.metadata.name} to be Established`, async () => {
      const got = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}

/**
 * Replaces (or creates) one CRD. Another writer may write the same CRD at the same moment: another checkout's
 * test on the shared stack (keepCRDsInstalled puts its own back), or the other e2e lane's first test on a fresh
 * stack, both creating it. A 409 (a replace from a stale resourceVersion, or a create of a CRD that now exists)
 * is read again and retried.
 */
async function replaceCRD(
  ext: k8s.ApiextensionsV1Api,
  name: string,
  body: k8s.V1CustomResourceDefinition,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await createOrReplaceCRD(ext, name, body);
      return;
    } catch (e) {
      const code = (e as k8s.ApiException<unknown>).code;
      if (code !== 409 || attempt >= 5) throw e;
    }
  }
}

async function createOrReplaceCRD(
  ext: k8s.ApiextensionsV1Api,
  name: string,
  body: k8s.V1CustomResourceDefinition,
): Promise<void> {
  let current: k8s.V1CustomResourceDefinition;
  try {
    current = await ext.readCustomResourceDefinition({ name });
  } catch (e) {
    if ((e as k8s.ApiException<unknown>).code !== 404) throw e;
    await ext.createCustomResourceDefinition({
      body: { ...body, metadata: { ...body.metadata, resourceVersion: undefined } },
    });
    return;
  }
  body.metadata = { ...body.metadata, resourceVersion: current.metadata?.resourceVersion };
  await ext.replaceCustomResourceDefinition({ name, body });
}

/**
 * The shared stack's API server has one CRD per kind, and a test run from another checkout replaces it with its
 * own; the API server then drops the fields its CRD does not know, from what is written and from what is read
 * (the operator's informers relist). While a test depends on fields this checkout added, this puts its CRDs
 * back whenever the installed schema part (default: the VirtualCluster spec) fails `has` (checked every `everyMs`).
 * Returns the stop.
 */
export function keepCRDsInstalled(
  kc: k8s.KubeConfig,
  has: (spec: k8s.V1JSONSchemaProps | undefined) => boolean,
  everyMs = 5000,
  which: { crd: string; part: 'spec' | 'status' } = { crd: 'virtualclusters.hpc.scailfin.io', part: 'spec' },
): () => void {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  let busy = false;
  const check = async () => {
    const crd = await ext.readCustomResourceDefinition({ name: which.crd });
    if (!has(crd.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.[which.part])) await installCRDs(kc);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    check()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, everyMs);
  return () => clearInterval(timer);
}

/** A namespace for one test file. */
export async function createNamespace(kc: k8s.KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'hpc.scailfin.io/e2e': 'true' } } } });
}

export async function deleteNamespace(kc: k8s.KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await keepForAudit(kc, name).catch(() => undefined);
  await core.deleteNamespace({ name }).catch(() => undefined);
}

/** Where deleted test namespaces leave their Events and custom resources, for the secrets audit. */
export const AUDIT_DIR = join(STACK, 'audit');

/** The signatures of the pilot tokens the operator minted in the tests (one per line), for the secrets audit. */
export const MINTED_TOKENS_FILE = join(STACK, 'minted-pilot-tokens');

/**
 * Saves the Events, HPCJobs and VirtualClusters of a namespace before it goes, so that the audit at the end
 * of the run (test/audit) can check that none of them carries key or token material.
 */
async function keepForAudit(kc: k8s.KubeConfig, namespace: string): Promise<void> {
  const events = kc.makeApiClient(k8s.EventsV1Api);
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  const [ev, jobs, vcs] = await Promise.all([
    events.listNamespacedEvent({ namespace }),
    co.listNamespacedCustomObject({ ...HPCJOBS, namespace }),
    co.listNamespacedCustomObject({ ...HPCJOBS, plural: 'virtualclusters', namespace }),
  ]);
  mkdirSync(AUDIT_DIR, { recursive: true });
  writeFileSync(
    join(AUDIT_DIR, `${namespace}.json`),
    JSON.stringify({ events: ev.items, hpcjobs: jobs, virtualclusters: vcs }),
  );
}

export interface HPCJobObject {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    attempt?: number;
    jobId?: string;
    schedd?: string;
    message?: string;
    retryToken?: string;
    cancelToken?: string;
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message: string;
      observedGeneration?: number;
    }[];
    attempts?: {
      attempt: number;
      jobId?: string;
      schedd?: string;
      outcome?: string;
      exitCode?: number;
      signal?: number;
      holdCode?: number;
      holdSubCode?: number;
      holdReason?: string;
      failureCategory?: string;
      releases?: number;
      host?: string;
      memory?: string;
      startTime?: string;
      endTime?: string;
    }[];
    logs?: { stdout?: string; stderr?: string };
    startTime?: string;
    completionTime?: string;
  };
}

export async function createHPCJob(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<HPCJobObject> {
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  return (await co.createNamespacedCustomObject({
    ...HPCJOBS,
    namespace,
    body: { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'HPCJob', metadata: { name, namespace }, spec },
  })) as HPCJobObject;
}

export async function getHPCJob(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
): Promise<HPCJobObject | undefined> {
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  try {
    return (await co.getNamespacedCustomObject({ ...HPCJOBS, namespace, name })) as HPCJobObject;
  } catch (e) {
    if ((e as k8s.ApiException<unknown>).code === 404) return undefined;
    throw e;
  }
}

export async function patchHPCJob(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  body: object,
): Promise<void> {
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  await co.patchNamespacedCustomObject(
    { ...HPCJOBS, namespace, name, body },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}

export async function deleteHPCJob(kc: k8s.KubeConfig, namespace: string, name: string): Promise<void> {
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  await co
    .deleteNamespacedCustomObject({ ...HPCJOBS, namespace, name })
    .catch((e: k8s.ApiException<unknown>) => {
      if (e.code !== 404) throw e;
    });
}

/** Waits for the HPCJob to reach one of `phases` and returns it. */
export async function waitForPhase(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  phases: string[],
  timeoutMs = 120_000,
): Promise<HPCJobObject> {
  return waitFor(
    `HPCJob ${namespace}/${name} to reach ${phases.join(' or ')}`,
    async () => {
      const j = await getHPCJob(kc, namespace, name);
      return j?.status?.phase && phases.includes(j.status.phase) ? j : undefined;
    },
    timeoutMs,
    200,
  );
}

/** Events (events.k8s.io/v1) about one object, oldest first. */
export async function eventsFor(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
): Promise<k8s.EventsV1Event[]> {
  const api = kc.makeApiClient(k8s.EventsV1Api);
  const list = await api.listNamespacedEvent({ namespace });
  return list.items
    .filter((e) => e.regarding?.name === name)
    .sort((a, b) => new Date(a.eventTime ?? 0).getTime() - new Date(b.eventTime ?? 0).getTime());
}

/**
 * The reasons of the Events about one object, once they include every one of `expected` (Events are written
 * after the status, from a buffer), or as they are when `timeoutMs` runs out, for the caller's expect to show.
 */
export async function eventReasons(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  expected: string[],
  timeoutMs = 30_000,
): Promise<string[]> {
  const read = async () => (await eventsFor(kc, namespace, name)).map((e) => e.reason ?? '');
  try {
    return await waitFor(
      `the Events ${expected.join(', ')} about ${namespace}/${name}`,
      async () => {
        const reasons = await read();
        return expected.every((r) => reasons.includes(r)) ? reasons : undefined;
      },
      timeoutMs,
      500,
    );
  } catch {
    return read();
  }
}
