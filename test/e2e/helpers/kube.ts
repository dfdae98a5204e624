/** Kubernetes helpers for e2e tests. */
import * as k8s from '@kubernetes/client-node';
import { allCRDs } from '../../../src/crds/crd.js';
import { waitFor } from './stack.js';

/** Creates or updates the CRDs from src/crds and waits until they are Established. */
export async function installCRDs(kc: k8s.KubeConfig): Promise<void> {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  for (const crd of allCRDs) {
    // Through the client's model (loadYaml), so that x-kubernetes-* keys map onto its camelCase fields and
    // survive serialisation.
    const body = k8s.loadYaml<k8s.V1CustomResourceDefinition>(JSON.stringify(crd));
    try {
      const current = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
      body.metadata = { ...body.metadata, resourceVersion: current.metadata?.resourceVersion };
      await ext.replaceCustomResourceDefinition({ name: crd.metadata.name, body });
    } catch (e) {
      if ((e as k8s.ApiException<unknown>).code !== 404) throw e;
      await ext.createCustomResourceDefinition({ body });
    }
    await waitFor(`CRD ${crd.metadata.name} to be Established`, async () => {
      const got = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}
