/** The CRDs on a real kube-apiserver: install, schema and CEL validation, the status subresource. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { allCRDs } from '../../src/crds/crd.js';
import { kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';
import { installCRDs } from '../support/stack/kube.js';

const kc = kubeConfig();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
const ns = 'default';
const base = { group: 'hpc.scailfin.io', version: 'v1alpha1', namespace: ns, plural: 'hpcjobs' };

function hpcJob(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'HPCJob', metadata: { name, namespace: ns }, spec };
}

async function rejection(body: object): Promise<string> {
  try {
    await co.createNamespacedCustomObject({ ...base, body });
  } catch (e) {
    const err = e as k8s.ApiException<string>;
    expect(err.code).toBe(422);
    return String(err.body);
  }
  throw new Error('the API server accepted an invalid HPCJob');
}

beforeAll(async () => {
  await installCRDs(kc);
});

describe('CRDs on the local control plane', () => {
  it('are Established and served', async () => {
    for (const crd of allCRDs) {
      const got = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
      const established = got.status?.conditions?.find((c) => c.type === 'Established');
      expect(established?.status).toBe('True');
    }
  });

  it('reject a bad field with a message that names it', async () => {
    const body = await rejection(hpcJob(uniqueName('bad'), { command: ['true'], resources: { cpus: 0 } }));
    expect(body).toContain('spec.resources.cpus');
    expect(body).toContain('greater than or equal to 1');
    const cel = await rejection(hpcJob(uniqueName('bad'), { command: ['true'], script: 'true' }));
    expect(cel).toContain('exactly one of command and script must be set');
    const path = await rejection(
      hpcJob(uniqueName('bad'), { command: ['true'], workspace: { path: '/reana/users/../../etc' } }),
    );
    expect(path).toContain('spec.workspace.path');
    expect(path).toContain('must not contain');
  });

  it.each([
    ['an image no runtime can take', { command: ['true'], image: 'x"' }, 'spec.image', 'must be docker://'],
    [
      'an unknown image scheme',
      { command: ['true'], image: 'ftp://host/img' },
      'spec.image',
      'must be docker://',
    ],
    [
      'a script over what fits in a job environment',
      { script: `echo ${'x'.repeat(100_000)}` },
      'spec.script',
      'is too large: at most 92160 bytes (UTF-8), which are 122880 once base64-encoded',
    ],
    [
      'command and args over what fits',
      { command: ['/bin/echo'], args: ['y'.repeat(60_000), 'y'.repeat(60_000)] },
      'spec.command',
      'command and args together are too large: at most 122880 bytes',
    ],
    [
      'env over what fits (in UTF-8 bytes)',
      { command: ['true'], env: ['A', 'B'].map((name) => ({ name, value: 'é'.repeat(30_000) })) },
      'spec.env',
      'env is too large: at most 122880 bytes',
    ],
    [
      'maxOutputBytes below one byte',
      { command: ['true'], workspace: { path: '/reana/users/u/workflows/w', maxOutputBytes: 0 } },
      'spec.workspace.maxOutputBytes',
      'greater than or equal to 1',
    ],
  ])('reject at apply what would fail at run time: %s', async (_what, spec, field, message) => {
    const body = await rejection(hpcJob(uniqueName('bad'), spec));
    expect(body).toContain(field);
    expect(body).toContain(message);
  });

  it('accept every image form a runtime takes', async () => {
    for (const image of [
      'docker://registry.example.org:5000/ns/name:1.0@sha256:' + 'a'.repeat(64),
      'oras://ghcr.io/org/img:tag',
      'shifter://docker.io/library/ubuntu:24.04',
      'dir:///cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/debian:stable',
      '/images/debian13.sif',
      'python:3.12',
    ]) {
      const name = uniqueName('img');
      await co.createNamespacedCustomObject({ ...base, body: hpcJob(name, { command: ['true'], image }) });
      await co.deleteNamespacedCustomObject({ ...base, name });
    }
  });

  it('apply schema defaults and keep spec immutable where it must be', async () => {
    const name = uniqueName('defaults');
    await co.createNamespacedCustomObject({
      ...base,
      body: hpcJob(name, { image: 'dir:///images/x', command: ['true'] }),
    });
    const got = (await co.getNamespacedCustomObject({ ...base, name })) as { spec: Record<string, unknown> };
    expect(got.spec.containerRuntime).toBe('auto');
    expect(got.spec.resources).toEqual({ cpus: 1, memory: '1Gi' });
    expect((got.spec.retryPolicy as { limit: number }).limit).toBe(3);
    await expect(
      co.patchNamespacedCustomObject(
        { ...base, name, body: { spec: { image: 'dir:///images/y' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    ).rejects.toMatchObject({ code: 422, body: expect.stringContaining('image is immutable') });
    await co.deleteNamespacedCustomObject({ ...base, name });
  });

  it('write status only through the status subresource', async () => {
    const name = uniqueName('status');
    await co.createNamespacedCustomObject({ ...base, body: hpcJob(name, { command: ['true'] }) });
    // A status in a spec write is dropped by the API server.
    await co.patchNamespacedCustomObject(
      { ...base, name, body: { status: { phase: 'Running' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    let got = (await co.getNamespacedCustomObject({ ...base, name })) as { status?: { phase?: string } };
    expect(got.status?.phase).toBeUndefined();
    await co.patchNamespacedCustomObjectStatus(
      { ...base, name, body: { status: { phase: 'Queued', jobId: '12.0', attempt: 1 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    got = (await co.getNamespacedCustomObject({ ...base, name })) as { status?: { phase?: string } };
    expect(got.status).toMatchObject({ phase: 'Queued', jobId: '12.0', attempt: 1 });
    // And the status schema is enforced too.
    await expect(
      co.patchNamespacedCustomObjectStatus(
        { ...base, name, body: { status: { phase: 'Sleeping' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    ).rejects.toMatchObject({ code: 422 });
    await co.deleteNamespacedCustomObject({ ...base, name });
    await waitFor('the HPCJob to be gone', async () => {
      try {
        await co.getNamespacedCustomObject({ ...base, name });
        return false;
      } catch (e) {
        return (e as k8s.ApiException<unknown>).code === 404;
      }
    });
  });
});
