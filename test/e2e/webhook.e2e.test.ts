/**
 * The validating admission webhook on the local stack's real kube-apiserver: config/webhook's
 * ValidatingWebhookConfiguration (rules, matchConditions, failurePolicy as shipped), pointed at a test-run
 * operator by URL and limited to this file's namespace (the stack is shared), with the operator-managed
 * certificate in a Secret of that namespace and a short lifetime so that it renews during the run.
 * - the operator sets the configuration's caBundle, and serves a certificate that bundle verifies;
 * - every denial and every warning, through kubectl apply --dry-run=server and a real kubectl create;
 * - updates that do not change the spec are not sent (matchConditions);
 * - the certificate renews (stage, then promote) and not one review is skipped meanwhile;
 * - with the operator stopped, creates of valid objects, deletes and finalizer removal go through.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { splitPem } from '../../src/serving/x509.js';
import { HPCJOBS, createNamespace, deleteNamespace, getHPCJob, installCRDs } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, loadStackEnv, uniqueName, waitFor } from '../support/stack/stack.js';
import { find, kustomize, type KubeObject } from './helpers/chart.js';
import { fingerprint, served } from './helpers/tls.js';

const kc = kubeConfig();
loadStackEnv();
const core = kc.makeApiClient(k8s.CoreV1Api);
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);

const ns = uniqueName('e2e-webhook');
const configName = uniqueName('hpcop-e2e-webhook');
const SECRET = 'hpc-operator-serving-cert';
/** Short enough to renew (at two thirds) during the file, long enough for the reviews in between. */
const LIFETIME_SECONDS = 45;
const WS = '/reana/users/u-1/workflows/w-1';
const VCS = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'virtualclusters' };
const SETS = { ...HPCJOBS, plural: 'hpcjobsets' };
const HPCJOB_DENIED = 'admission webhook "hpcjobs.validate.hpc.scailfin.io" denied the request: ';
const SET_DENIED = 'admission webhook "hpcjobsets.validate.hpc.scailfin.io" denied the request: ';
const VC_DENIED = 'admission webhook "virtualclusters.validate.hpc.scailfin.io" denied the request: ';

let op: OperatorProcess;

const hpcJob = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'hpc.scailfin.io/v1alpha1',
  kind: 'HPCJob',
  metadata: { name, namespace: ns },
  spec: { command: ['true'], suspend: true, ...spec },
});
/** An HPCJobSet of `template` with `spec` (count or items). */
const hpcJobSet = (name: string, template: object, spec: object = { count: 2 }) => ({
  ...hpcJob(name, {}),
  kind: 'HPCJobSet',
  spec: { suspend: true, ...spec, template: { command: ['true'], ...template } },
});

const virtualCluster = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'hpc.scailfin.io/v1alpha1',
  kind: 'VirtualCluster',
  metadata: { name, namespace: ns },
  spec: {
    pool: { collectorHost: 'cm.example.org:9618', pilotTokenSecretRef: { name: 'pilot-token' } },
    allocations: [
      {
        name: 'site1',
        batchSystem: 'slurm',
        loginHost: 'login.example.org',
        user: 'u',
        credentials: { secretName: 'site1-ssh' },
      },
    ],
    ...spec,
  },
});

/** kubectl as a user runs it: exit status, and stderr where warnings and errors go. */
function kubectl(args: string[], obj?: object): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('kubectl', args, {
    input: obj ? stringify(obj) : undefined,
    encoding: 'utf8',
    env: process.env,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The configuration as config/webhook ships it, pointed at the test operator and scoped to `ns`. */
function webhookConfiguration(port: number): k8s.V1ValidatingWebhookConfiguration {
  const shipped = find(kustomize('config/webhook'), 'ValidatingWebhookConfiguration') as KubeObject & {
    webhooks: (k8s.V1ValidatingWebhook & { clientConfig: { service: { path: string } } })[];
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: configName, labels: { 'hpc.scailfin.io/e2e': 'true' } },
    webhooks: shipped.webhooks.map((w) => ({
      ...w,
      clientConfig: { url: `https://127.0.0.1:${port}${w.clientConfig.service.path}` },
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    })),
  };
}

async function caBundles(): Promise<string[]> {
  const c = await admission.readValidatingWebhookConfiguration({ name: configName });
  return (c.webhooks ?? []).map((w) => Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString());
}

async function storedCerts(): Promise<Record<string, string>> {
  const s = await core.readNamespacedSecret({ name: SECRET, namespace: ns });
  return Object.fromEntries(
    Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
}

/** A server-side dry-run create through the API: the API server's message, or undefined when allowed. */
async function dryRunDenial(body: object): Promise<string | undefined> {
  try {
    await co.createNamespacedCustomObject({ ...HPCJOBS, namespace: ns, body, dryRun: 'All' });
    return undefined;
  } catch (e) {
    const body = String((e as k8s.ApiException<string>).body);
    return (JSON.parse(body) as { message?: string }).message ?? body;
  }
}

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  op = new OperatorProcess({
    namespace: ns,
    operatorId: ns,
    extraArgs: [
      // The Secret lives in the operator's namespace: here, this file's.
      `--leader-election-namespace=${ns}`,
      `--serving-cert-secret=${SECRET}`,
      `--webhook-config-name=${configName}`,
      `--serving-cert-lifetime-seconds=${LIFETIME_SECONDS}`,
    ],
  });
  await op.start();
  await admission.createValidatingWebhookConfiguration({ body: webhookConfiguration(op.servingPort) });
});

afterAll(async () => {
  await admission.deleteValidatingWebhookConfiguration({ name: configName }).catch(() => undefined);
  await op?.stop();
  // Nothing left for a stopped operator to finalize: the namespace can go.
  for (const kind of [HPCJOBS, SETS, VCS]) {
    const list = (await co.listNamespacedCustomObject({ ...kind, namespace: ns })) as { items: KubeObject[] };
    for (const o of list.items) {
      await co
        .patchNamespacedCustomObject(
          { ...kind, namespace: ns, name: o.metadata.name, body: { metadata: { finalizers: null } } },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        )
        .catch(() => undefined);
      await co
        .deleteNamespacedCustomObject({ ...kind, namespace: ns, name: o.metadata.name })
        .catch(() => undefined);
    }
  }
  await deleteNamespace(kc, ns);
});

describe('the operator-managed certificate', () => {
  it('is kept in the Secret, its CA set as the caBundle of every webhook, and served on the port', async () => {
    const bundles = await waitFor('the operator to set the caBundle', async () => {
      const b = await caBundles();
      return b.every((x) => x !== '') ? b : undefined;
    });
    const stored = await storedCerts();
    expect(bundles).toEqual([stored['ca.crt'], stored['ca.crt'], stored['ca.crt']]);
    expect(await served(op.servingPort, stored['ca.crt'] ?? '')).toBe(fingerprint(stored['tls.crt']));
    // The API server calls the webhook once it has loaded the configuration.
    await waitFor('the API server to send reviews', async () =>
      (await dryRunDenial(hpcJob(uniqueName('probe'), { requirements: 'x >' })))?.includes(HPCJOB_DENIED),
    );
  });
});

describe('denials and warnings, through kubectl', () => {
  const denials: [string, object, string][] = [
    [
      'a requirements expression HTCondor cannot parse',
      hpcJob('bad-requirements', { requirements: 'TARGET.Memory >= ' }),
      `${HPCJOB_DENIED}spec.requirements: HTCondor cannot parse it: expected an operand at column 18, found the end of the expression`,
    ],
    [
      'a requirements expression that would close the operator parenthesis',
      hpcJob('escaping-requirements', { requirements: 'true) || (true' }),
      `${HPCJOB_DENIED}spec.requirements: it is not an expression on its own (the operator puts it in parentheses): expected an operator or the end of the expression at column 5, found ")"`,
    ],
    [
      'a comment in the requirements',
      hpcJob('comment-requirements', { requirements: 'TARGET.Memory > 1 /* big */' }),
      `${HPCJOB_DENIED}spec.requirements: comment at column 19: comments are not allowed (HTCondor drops them, which can move what the parentheses enclose)`,
    ],
    [
      'more output than the operator ceiling',
      hpcJob('too-much-output', { workspace: { path: WS, maxOutputBytes: 200 * 2 ** 30 } }),
      `${HPCJOB_DENIED}spec.workspace.maxOutputBytes is ${200 * 2 ** 30}; this operator allows at most ${100 * 2 ** 30} (--max-output-bytes-ceiling)`,
    ],
    [
      "an HPCJobSet whose template's requirements HTCondor cannot parse",
      hpcJobSet('bad-set-requirements', { requirements: 'TARGET.Memory >= ' }),
      `${SET_DENIED}spec.template.requirements: HTCondor cannot parse it: expected an operand at column 18, found the end of the expression`,
    ],
    [
      'an HPCJobSet item key that cannot be a variable name',
      hpcJobSet('bad-set-items', {}, { items: [{ energy: '1' }, { 'e-field': '2' }] }),
      `${SET_DENIED}spec.items[1]: key "e-field" is not a name`,
    ],
    [
      'a VirtualCluster lifetime no date can carry',
      virtualCluster('forever', { lifetime: '9999999d' }),
      `${VC_DENIED}spec.lifetime "9999999d"`,
    ],
  ];

  it.each(denials)('denies %s: apply --dry-run=server and create say the same', (_, obj, message) => {
    const dry = kubectl(['apply', '--dry-run=server', '-f', '-'], obj);
    expect(dry.status).not.toBe(0);
    expect(dry.stderr).toContain(message);
    const created = kubectl(['create', '-f', '-'], obj);
    expect(created.status).not.toBe(0);
    expect(created.stderr).toContain(message);
  });

  it('created none of them', async () => {
    for (const [, obj] of denials) {
      const { metadata, kind } = obj as KubeObject;
      const plural = { HPCJob: HPCJOBS, HPCJobSet: SETS }[kind] ?? VCS;
      await expect(
        co.getNamespacedCustomObject({ ...plural, namespace: ns, name: metadata.name }),
      ).rejects.toMatchObject({ code: 404 });
    }
  });

  it('warns about a VirtualCluster and a chirp ticket Secret that do not exist yet, and creates the HPCJob', () => {
    const obj = hpcJob('waits', {
      virtualClusterRef: { name: 'vc-later' },
      workspace: {
        path: WS,
        staging: 'cctools',
        chirp: { server: 'chirp.example.org:9094', ticketSecretRef: { name: 'chirp-ticket' } },
      },
    });
    const warnings = [
      `Warning: spec.virtualClusterRef: VirtualCluster "vc-later" does not exist in namespace ${ns} (yet): the HPCJob waits for it, and fails after 600 s without it`,
      'Warning: spec.workspace.chirp.ticketSecretRef: Secret chirp-ticket does not exist (yet)',
    ];
    const dry = kubectl(['apply', '--dry-run=server', '-f', '-'], obj);
    expect(dry.status).toBe(0);
    expect(dry.stderr.trim().split('\n')).toEqual(warnings);
    const created = kubectl(['create', '-f', '-'], obj);
    expect(created.status).toBe(0);
    expect(created.stderr.trim().split('\n')).toEqual(warnings);
    expect(created.stdout).toContain('hpcjob.hpc.scailfin.io/waits created');
  });

  it('warns about a Secret without the key, and not once it has it', () => {
    const obj = hpcJob('ticketed', {
      workspace: {
        path: WS,
        staging: 'cctools',
        chirp: { server: 'chirp.example.org:9094', ticketSecretRef: { name: 'ticket-keyless' } },
      },
    });
    expect(
      kubectl(['-n', ns, 'create', 'secret', 'generic', 'ticket-keyless', '--from-literal=other=x']).status,
    ).toBe(0);
    expect(kubectl(['apply', '--dry-run=server', '-f', '-'], obj).stderr.trim()).toBe(
      'Warning: spec.workspace.chirp.ticketSecretRef: Secret ticket-keyless has no key ticket',
    );
    const patch = JSON.stringify({ stringData: { ticket: 't' } });
    expect(kubectl(['-n', ns, 'patch', 'secret', 'ticket-keyless', '-p', patch]).status).toBe(0);
    const clean = kubectl(['apply', '--dry-run=server', '-f', '-'], obj);
    expect({ status: clean.status, stderr: clean.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('warns about the Secrets a VirtualCluster names, as the operator would judge them', () => {
    const obj = virtualCluster('vc-warned');
    const dry = kubectl(['apply', '--dry-run=server', '-f', '-'], obj);
    expect(dry.status).toBe(0);
    expect(dry.stderr.trim().split('\n')).toEqual([
      'Warning: spec.pool.pilotTokenSecretRef: Secret pilot-token does not exist (yet)',
      'Warning: spec.allocations[0].credentials.secretName: Secret site1-ssh does not exist (yet)',
    ]);
    expect(
      kubectl(['-n', ns, 'create', 'secret', 'generic', 'site1-ssh', '--from-literal=known_hosts=x']).status,
    ).toBe(0);
    const created = kubectl(['create', '-f', '-'], obj);
    expect(created.status).toBe(0);
    expect(created.stderr.trim().split('\n')).toEqual([
      'Warning: spec.pool.pilotTokenSecretRef: Secret pilot-token does not exist (yet)',
      'Warning: spec.allocations[0].credentials.secretName: Secret site1-ssh has no ssh-privatekey',
    ]);
  });
});

describe('updates', () => {
  /** How many reviews of `name` the operator logged (it logs each at debug level). */
  const reviewsOf = (name: string) =>
    readFileSync(op.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"admission:') && l.includes(`"object":"${ns}/${name}"`)).length;

  it('are sent only when they change the spec (matchConditions): labels and finalizers are not', async () => {
    expect(kubectl(['create', '-f', '-'], hpcJob('plain', {})).status).toBe(0);
    await waitFor('the review of the create', () => reviewsOf('plain') === 1);
    expect(kubectl(['-n', ns, 'label', 'hpcjob', 'plain', 'team=a']).status).toBe(0);
    await waitFor(
      'the operator to add its finalizer',
      async () => (await getHPCJob(kc, ns, 'plain'))?.metadata.finalizers?.length,
    );
    const patch = JSON.stringify({ spec: { activeDeadlineSeconds: 3600 } });
    expect(kubectl(['-n', ns, 'patch', 'hpcjob', 'plain', '--type=merge', '-p', patch]).status).toBe(0);
    // The spec change is reviewed; the label and the finalizer, written before it, were not.
    await waitFor('the review of the spec change', () => reviewsOf('plain') === 2);
    expect(reviewsOf('plain')).toBe(2);
  });
});

describe('renewal', () => {
  it(
    'renews before expiry (stage, then promote) and not one review is skipped meanwhile',
    async () => {
      const first = (await storedCerts())['tls.crt'];
      let reviews = 0;
      const deadline = Date.now() + LIFETIME_SECONDS * 1000;
      let renewed: string | undefined;
      while (!renewed && Date.now() < deadline) {
        // With failurePolicy Ignore, a review the API server could not make (a certificate it does not trust)
        // would let this through: each one must come back denied.
        const denial = await dryRunDenial(hpcJob(uniqueName('renewal'), { requirements: 'x >' }));
        expect(denial).toContain(HPCJOB_DENIED);
        reviews++;
        const now = (await storedCerts())['tls.crt'];
        if (now !== first) renewed = now;
      }
      expect(renewed).toBeDefined();
      // The new CA joined the bundle; the old one stays until it expires.
      const bundle = (await caBundles())[0] ?? '';
      expect(splitPem(bundle).length).toBeGreaterThanOrEqual(2);
      await waitFor(
        'the port to serve the renewed certificate',
        async () => (await served(op.servingPort, bundle)) === fingerprint(renewed),
      );
      expect(await dryRunDenial(hpcJob(uniqueName('renewal'), { requirements: 'x >' }))).toContain(
        HPCJOB_DENIED,
      );
      expect(reviews).toBeGreaterThan(5);
      const log = readFileSync(op.logFile, 'utf8');
      expect(log).toMatch(/"action":"stage".*serving certificate: writing the Secret/);
      expect(log).toMatch(/"action":"promote".*serving certificate: writing the Secret/);
    },
    (LIFETIME_SECONDS + 60) * 1000,
  );
});

describe('with the operator stopped', () => {
  it('creates of valid objects succeed, the CRD rules still refuse, deletes and finalizer removal go through', async () => {
    expect(kubectl(['create', '-f', '-'], hpcJob('finalized', {})).status).toBe(0);
    await waitFor(
      'the operator to add its finalizer',
      async () => (await getHPCJob(kc, ns, 'finalized'))?.metadata.finalizers?.length,
    );
    expect(await op.stop()).toBe(0);

    const valid = kubectl(['create', '-f', '-'], hpcJob('while-down', {}));
    expect(valid.status).toBe(0);
    expect(valid.stderr).toBe('');
    // The schema and CEL rules are the hard gate, with or without the operator.
    const cel = kubectl(['create', '-f', '-'], hpcJob('cel-refused', { image: 'x"' }));
    expect(cel.status).not.toBe(0);
    expect(cel.stderr).toContain('spec.image');
    expect(cel.stderr).not.toContain('admission webhook');

    // A delete, then the finalizer's removal (an UPDATE): neither waits for the operator.
    expect(kubectl(['-n', ns, 'delete', 'hpcjob', 'finalized', '--wait=false']).status).toBe(0);
    expect((await getHPCJob(kc, ns, 'finalized'))?.metadata.deletionTimestamp).toBeDefined();
    const drop = JSON.stringify({ metadata: { finalizers: null } });
    expect(kubectl(['-n', ns, 'patch', 'hpcjob', 'finalized', '--type=merge', '-p', drop]).status).toBe(0);
    await waitFor('the HPCJob to be gone', async () => (await getHPCJob(kc, ns, 'finalized')) === undefined);
    expect(kubectl(['-n', ns, 'delete', 'hpcjob', 'while-down']).status).toBe(0);
  });
});
