/**
 * Installing the operator, checked on the local stack's real kube-apiserver and HTCondor pool:
 * - config/ (kustomize): config/default and the optional parts pass server-side dry runs, the manager pod meets
 *   the restricted Pod Security Standard, every sample passes a dry run and together they use every field of
 *   both schemas;
 * - charts/hpc-operator: helm lint, helm template + a server-side dry run, helm install --dry-run=server, and no
 *   drift from config/ (same objects and fields once the chart's own labels are set aside);
 * - the Deployment's HTCondor client setup (ConfigMap, token Secret, init container) authenticates to the pool;
 * - config/rbac is enough and no more: the real operator runs as the hpc-operator ServiceAccount (a token from
 *   the TokenRequest API), runs an HPCJob to Succeeded with Events, reads a VirtualCluster's Secrets only where
 *   the secret reader is bound, never writes spec; kubectl auth can-i pins what it must not do.
 * No kubelet runs here, so nothing is scheduled: the Deployment itself is only ever dry-run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { stringify } from 'yaml';
import { hpcJobSpecSchema } from '../../src/crds/hpcjob.js';
import { hpcJobSetSpecSchema } from '../../src/crds/hpcjobset.js';
import type { JSONSchemaProps } from '../../src/crds/schema.js';
import { BATCH_SYSTEMS, virtualClusterSpecSchema } from '../../src/crds/virtualcluster.js';
import { STAGING_MODES } from '../../src/crds/hpcjob.js';
import {
  createNamespace,
  deleteHPCJob,
  deleteNamespace,
  eventsFor,
  getHPCJob,
  installCRDs,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { createSiteSecrets, slurmSpec } from './helpers/site.js';
import {
  CHART,
  OPERATOR_NS,
  docs,
  dryRun,
  find,
  helm,
  helmTemplate,
  kustomize,
  run,
  type KubeObject,
} from './helpers/chart.js';
import { REPO, STACK, kubeConfig, loadStackEnv, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const env = loadStackEnv();
const core = kc.makeApiClient(k8s.CoreV1Api);
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);

const SA = 'hpc-operator';
const AS_SA = `system:serviceaccount:${OPERATOR_NS}:${SA}`;
const ns = uniqueName('e2e-install');
const psaNs = uniqueName('e2e-install-psa');
const VCS = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'virtualclusters', namespace: ns };

const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byKey = (objs: KubeObject[]) => new Map(objs.map((o) => [key(o), o]));

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    securityContext: Record<string, unknown>;
    initContainers: Container[];
    containers: Container[];
    volumes: { name: string; [k: string]: unknown }[];
  };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts: { name: string; mountPath: string }[];
  [k: string]: unknown;
}
const podTemplate = (objs: KubeObject[]) =>
  (find(objs, 'Deployment') as unknown as { spec: { template: PodTemplate } }).spec.template;

/**
 * An object with what the chart adds of its own set aside: labels and annotations (helm.sh/chart, instance,
 * version, checksums), and label selectors, which are compared by what they select instead.
 */
function normalize(o: KubeObject): KubeObject {
  const c = structuredClone(o);
  delete c.metadata.labels;
  delete c.metadata.annotations;
  const spec = c.spec as Record<string, unknown> | undefined;
  if (spec) {
    delete spec.selector;
    delete spec.podSelector;
    const template = spec.template as { metadata?: unknown } | undefined;
    if (template) delete template.metadata;
  }
  return c;
}

/** True when a selector (matchLabels or a Service's map) picks the pods of the rendered Deployment. */
function selectsManager(objs: KubeObject[], selector: Record<string, string>): boolean {
  const labels = podTemplate(objs).metadata.labels;
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Every property path of a schema, e.g. spec.retryPolicy.rules[].memoryFactor. */
function schemaPaths(s: JSONSchemaProps, prefix: string): string[] {
  if (s.type === 'object' && s.properties)
    return Object.entries(s.properties).flatMap(([k, v]) => [
      `${prefix}.${k}`,
      ...schemaPaths(v, `${prefix}.${k}`),
    ]);
  if (s.type === 'array' && s.items) return schemaPaths(s.items, `${prefix}[]`);
  return [];
}

function valuePaths(v: unknown, prefix: string): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => valuePaths(x, `${prefix}[]`));
  if (v !== null && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) => [`${prefix}.${k}`, ...valuePaths(x, `${prefix}.${k}`)]);
  return [];
}

/** The manager container's args in config/default. */
function managerArgs(): string[] {
  return (podTemplate(kustomize('config/default')).spec.containers.find((c) => c.name === 'manager')?.args ??
    []) as string[];
}

/** The fingerprint of the certificate served on 127.0.0.1:port, verified against `ca`. */
function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

function canI(verb: string, resource: string, where: string[], extra: string[] = []): string {
  const r = spawnSync('kubectl', ['auth', 'can-i', verb, resource, ...where, ...extra, `--as=${AS_SA}`], {
    encoding: 'utf8',
    env: process.env,
  });
  // exit 0 "yes", exit 1 "no"; anything else is an error of the check itself.
  if (r.status !== 0 && r.status !== 1) throw new Error(`kubectl auth can-i failed: ${r.stderr}`);
  return r.stdout.trim();
}

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
});

afterAll(async () => {
  await deleteNamespace(kc, ns);
  await deleteNamespace(kc, psaNs);
});

describe('config/ (kustomize)', () => {
  it('config/default installs the CRDs, the RBAC and the Deployment (server-side dry run)', () => {
    const out = run('kubectl', [
      'apply',
      '-k',
      join(REPO, 'config/default'),
      '--dry-run=server',
      '-o',
      'name',
    ]);
    const applied = out.trim().split('\n').sort();
    expect(applied).toEqual(
      [
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-hpcjob-editor',
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-hpcjob-viewer',
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-hpcjobset-editor',
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-hpcjobset-viewer',
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-log-access',
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-manager',
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-secret-reader',
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-virtualcluster-editor',
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-virtualcluster-viewer',
        'clusterrole.rbac.authorization.k8s.io/hpc-operator-webhook-config',
        'clusterrolebinding.rbac.authorization.k8s.io/hpc-operator-log-access',
        'clusterrolebinding.rbac.authorization.k8s.io/hpc-operator-manager',
        'clusterrolebinding.rbac.authorization.k8s.io/hpc-operator-webhook-config',
        'configmap/hpc-operator-condor-config',
        'customresourcedefinition.apiextensions.k8s.io/hpcjobs.hpc.scailfin.io',
        'customresourcedefinition.apiextensions.k8s.io/hpcjobsets.hpc.scailfin.io',
        'customresourcedefinition.apiextensions.k8s.io/virtualclusters.hpc.scailfin.io',
        'deployment.apps/hpc-operator',
        'namespace/hpc-operator-system',
        'role.rbac.authorization.k8s.io/hpc-operator-leader-election',
        'role.rbac.authorization.k8s.io/hpc-operator-serving-cert',
        'rolebinding.rbac.authorization.k8s.io/hpc-operator-leader-election',
        'rolebinding.rbac.authorization.k8s.io/hpc-operator-secret-reader',
        'rolebinding.rbac.authorization.k8s.io/hpc-operator-serving-cert',
        'secret/hpc-operator-serving-cert',
        'service/hpc-operator-webhook',
        'serviceaccount/hpc-operator',
        'validatingwebhookconfiguration.admissionregistration.k8s.io/hpc-operator-validating-webhook',
      ].sort(),
    );
    const objs = kustomize('config/default');
    // Everything namespaced lands in the operator's namespace; no binding grants Secrets cluster-wide.
    for (const o of objs.filter((x) => x.metadata.namespace !== undefined))
      expect(o.metadata.namespace).toBe(OPERATOR_NS);
    for (const crb of objs.filter((o) => o.kind === 'ClusterRoleBinding'))
      expect((crb.roleRef as { name: string }).name).not.toBe('hpc-operator-secret-reader');
  });

  it('the Deployment runs the operator with leader election, probes and a locked-down container', () => {
    const pod = podTemplate(kustomize('config/default'));
    const manager = pod.spec.containers.find((c) => c.name === 'manager') as Container & {
      livenessProbe: { httpGet: { path: string; port: string } };
      readinessProbe: { httpGet: { path: string; port: string } };
      ports: { name: string; containerPort: number }[];
    };
    expect(manager.args).toEqual(
      expect.arrayContaining(['--leader-elect=true', '--leader-election-namespace=$(POD_NAMESPACE)']),
    );
    // The probe port is the one --health-probe-bind-address binds.
    const health = manager.ports.find((p) => p.name === manager.livenessProbe.httpGet.port);
    expect(manager.args).toContain(`--health-probe-bind-address=:${health?.containerPort}`);
    expect([manager.livenessProbe.httpGet.path, manager.readinessProbe.httpGet.path]).toEqual([
      '/healthz',
      '/readyz',
    ]);
    expect(pod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers])
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
    // With a read-only root, every path the operator writes is a volume: --log-dir and /tmp.
    const logDir = (manager.args ?? []).find((a) => a.startsWith('--log-dir='))?.split('=')[1];
    const mounts = manager.volumeMounts.map((m) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining([logDir, '/tmp']));
  });

  it('the manager pod meets the restricted Pod Security Standard (server-side dry run in an enforcing namespace)', async () => {
    await core.createNamespace({
      body: {
        metadata: {
          name: psaNs,
          labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'hpc.scailfin.io/e2e': 'true' },
        },
      },
    });
    // The ServiceAccount admission plugin wants the pod's ServiceAccount to exist.
    await core.createNamespacedServiceAccount({ namespace: psaNs, body: { metadata: { name: SA } } });
    const pod = podTemplate(kustomize('config/default'));
    const body = (spec: PodTemplate['spec']) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'manager', namespace: psaNs },
        spec,
      });
    run('kubectl', ['create', '--dry-run=server', '-f', '-'], { input: body(pod.spec) });
    // The control: the same pod with one setting relaxed is refused, so the namespace does enforce.
    const relaxed = structuredClone(pod.spec);
    (relaxed.containers[0] as Container).securityContext = { allowPrivilegeEscalation: true };
    expect(() => run('kubectl', ['create', '--dry-run=server', '-f', '-'], { input: body(relaxed) })).toThrow(
      /violates PodSecurity "restricted/,
    );
  });

  it('the optional parts build and pass a server-side dry run, and select the manager pod', () => {
    const prometheus = kustomize('config/prometheus');
    const service = find(prometheus, 'Service') as KubeObject & {
      spec: { selector: Record<string, string>; ports: { name: string }[] };
    };
    const monitor = find(prometheus, 'ServiceMonitor') as KubeObject & {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
    };
    const defaults = kustomize('config/default');
    expect(selectsManager(defaults, service.spec.selector)).toBe(true);
    // The ServiceMonitor picks the Service by its labels and scrapes its named port.
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels))
      expect(service.metadata.labels?.[k]).toBe(v);
    expect(service.spec.ports.map((p) => p.name)).toContain(monitor.spec.endpoints[0]?.port);
    // No Prometheus Operator here: the ServiceMonitor CRD is absent, so only the Service is dry-run.
    run('kubectl', ['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(service) });

    const policies = kustomize('config/network-policy');
    const policy = find(policies, 'NetworkPolicy') as KubeObject & {
      spec: { podSelector: { matchLabels: Record<string, string> }; egress: { ports: { port: number }[] }[] };
    };
    expect(selectsManager(defaults, policy.spec.podSelector.matchLabels)).toBe(true);
    const egress = policy.spec.egress.flatMap((r) => r.ports.map((p) => p.port));
    expect(egress).toEqual(expect.arrayContaining([53, 443, 9618, 22]));
    run('kubectl', ['apply', '-k', join(REPO, 'config/network-policy'), '--dry-run=server']);
  });
});

describe('config/samples', () => {
  const dir = join(REPO, 'config/samples');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  const samples = files.flatMap((f) => docs(readFileSync(join(dir, f), 'utf8')).map((o) => ({ f, o })));

  it.each(files)('%s passes a server-side dry run', (file) => {
    run('kubectl', ['apply', '--dry-run=server', '-n', ns, '-f', join(dir, file)]);
  });

  it('the kustomization (the demo set) builds and names files that exist', () => {
    const names = kustomize('config/samples').map((o) => o.metadata.name);
    expect(names.sort()).toEqual(['exit3', 'hello', 'hold-release', 'retry']);
  });

  it('use every field of the HPCJob, HPCJobSet and VirtualCluster schemas, each batch system and staging mode', () => {
    for (const [kind, schema] of [
      ['HPCJob', hpcJobSpecSchema.json],
      ['VirtualCluster', virtualClusterSpecSchema.json],
      ['HPCJobSet', hpcJobSetSpecSchema.json],
    ] as const) {
      const used = new Set(
        samples.filter((s) => s.o.kind === kind).flatMap((s) => valuePaths(s.o.spec, 'spec')),
      );
      // A set's template is an HPCJob spec: the HPCJob samples cover its fields.
      const missing = schemaPaths(schema, 'spec')
        .filter((p) => !p.startsWith('spec.template.'))
        .filter((p) => !used.has(p));
      expect({ kind, missing }).toEqual({ kind, missing: [] });
    }
    const vcs = samples.filter((s) => s.o.kind === 'VirtualCluster');
    const batch = vcs.flatMap((s) =>
      ((s.o.spec as { allocations: { batchSystem: string }[] }).allocations ?? []).map((a) => a.batchSystem),
    );
    expect(new Set(batch)).toEqual(new Set(BATCH_SYSTEMS));
    const staging = samples
      .filter((s) => s.o.kind === 'HPCJob')
      .map((s) => (s.o.spec as { workspace?: { staging?: string } }).workspace?.staging)
      .filter((x) => x !== undefined);
    expect(new Set(staging)).toEqual(new Set(STAGING_MODES));
    // The HPCJob that names a VirtualCluster names one of the samples.
    const refs = samples
      .map((s) => (s.o.spec as { virtualClusterRef?: { name: string } }).virtualClusterRef?.name)
      .filter((x) => x !== undefined);
    for (const r of refs) expect(vcs.map((s) => s.o.metadata.name)).toContain(r);
  });
});

describe('charts/hpc-operator', () => {
  it('passes helm lint --strict, with the defaults and with every option on', () => {
    expect(helm(['lint', '--strict', CHART])).toContain('0 chart(s) failed');
    const all = [
      `watchNamespace=${ns}`,
      `secretReader.namespaces={${ns},other}`,
      'serviceMonitor.enabled=true',
      'networkPolicy.enabled=true',
      'logDir.persistentVolumeClaim.claimName=operator-logs',
      'extraArgs={--workers=8}',
      'leaderElection.id=hpc-operator-b',
      'operatorId=site-b',
    ];
    expect(helm(['lint', '--strict', CHART, ...all.flatMap((s) => ['--set', s])])).toContain(
      '0 chart(s) failed',
    );
  });

  it('renders objects that pass a server-side dry run, and installs with helm install --dry-run=server', () => {
    const objs = helmTemplate().filter((o) => o.kind !== 'CustomResourceDefinition');
    dryRun(objs);
    // helm's own install path against the live API server (kubeVersion constraint, hooks). Without the
    // CRDs: the stack's were applied by kubectl, and helm refuses to adopt what it did not create
    // (chart.e2e.test.ts checks the chart's CRD templates).
    const out = helm([
      'install',
      // A release of its own in the test namespace: helm refuses to adopt objects it did not create, such
      // as config/rbac's when the RBAC tests below applied them.
      uniqueName('hpc-operator'),
      CHART,
      '--namespace',
      ns,
      '--dry-run=server',
      '--set',
      'crds.enabled=false',
    ]);
    expect(out).toContain('STATUS: pending-install');
    expect(out).toContain('kind: Deployment');
  });

  it('renders the same objects and fields as config/default (no drift)', () => {
    // The Namespace is kustomize's alone: Helm installs into an existing (or --create-namespace) namespace.
    const kustomized = kustomize('config/default').filter((o) => o.kind !== 'Namespace');
    const rendered = helmTemplate();
    expect([...byKey(rendered).keys()].sort()).toEqual([...byKey(kustomized).keys()].sort());
    const fromHelm = byKey(rendered);
    for (const o of kustomized) expect(normalize(fromHelm.get(key(o)) as KubeObject)).toEqual(normalize(o));
    // Selectors were set aside above; they must still pick the manager pod, and the CRDs are the same bytes.
    const deployment = find(rendered, 'Deployment') as unknown as {
      spec: { selector: { matchLabels: Record<string, string> } };
    };
    expect(selectsManager(rendered, deployment.spec.selector.matchLabels)).toBe(true);
    expect(podTemplate(rendered).metadata.annotations?.['kubectl.kubernetes.io/default-container']).toBe(
      'manager',
    );
  });

  it('with serviceMonitor and networkPolicy on, renders config/prometheus and config/network-policy', () => {
    const rendered = helmTemplate(['serviceMonitor.enabled=true', 'networkPolicy.enabled=true']);
    const fromHelm = byKey(rendered);
    for (const o of [...kustomize('config/prometheus'), ...kustomize('config/network-policy')]) {
      const h = fromHelm.get(key(o)) as KubeObject;
      expect(normalize(h)).toEqual(normalize(o));
    }
    const service = find(rendered, 'Service') as unknown as { spec: { selector: Record<string, string> } };
    expect(selectsManager(rendered, service.spec.selector)).toBe(true);
  });

  it('scopes the RBAC to watchNamespace and binds the secret reader only where asked', () => {
    const rendered = helmTemplate([`watchNamespace=${ns}`, `secretReader.namespaces={${ns}}`]);
    // The cluster-wide bindings left are for what has no namespace: the webhook's own configuration (by name)
    // and the live logs' TokenReviews and SubjectAccessReviews (with the client CA ConfigMap, by name).
    expect(rendered.filter((o) => o.kind === 'ClusterRoleBinding').map((o) => o.metadata.name)).toEqual([
      'hpc-operator-log-access',
      'hpc-operator-webhook-config',
    ]);
    const bindings = rendered
      .filter((o) => o.kind === 'RoleBinding')
      .map((o) => `${o.metadata.namespace}/${(o.roleRef as { name: string }).name}`)
      .sort();
    expect(bindings).toEqual(
      [
        `${ns}/hpc-operator-manager`,
        `${ns}/hpc-operator-secret-reader`,
        `${OPERATOR_NS}/hpc-operator-leader-election`,
        `${OPERATOR_NS}/hpc-operator-secret-reader`,
        `${OPERATOR_NS}/hpc-operator-serving-cert`,
      ].sort(),
    );
    const manager = podTemplate(rendered).spec.containers[0] as Container;
    expect(manager.args).toContain(`--namespace=${ns}`);
  });
});

describe('the HTCondor client setup of the Deployment', () => {
  it('the ConfigMap, the token Secret and the init container give the condor tools a working IDTOKEN', () => {
    // The pod's file system, rebuilt under a scratch root: the Secret as the kubelet writes it with fsGroup
    // (root-owned, group-readable), the memory emptyDir, the ConfigMap; then the init container's command and
    // condor_q run as the image's uid, the way the pod runs them. Only the pool address is patched in, as a
    // user's kustomize patch would.
    const objs = kustomize('config/default');
    const pod = podTemplate(objs);
    const { runAsUser: uid, fsGroup: gid } = pod.spec.securityContext as {
      runAsUser: number;
      fsGroup: number;
    };
    const init = pod.spec.initContainers.find((c) => c.name === 'condor-token') as Container;
    const manager = pod.spec.containers.find((c) => c.name === 'manager') as Container;
    const mountOf = (c: Container, volume: string) =>
      c.volumeMounts.find((m) => m.name === volume)?.mountPath as string;
    const secretVolume = pod.spec.volumes.find((v) => 'secret' in v) as {
      name: string;
      secret: { defaultMode: number };
    };
    const configVolume = pod.spec.volumes.find((v) => 'configMap' in v) as { name: string };
    const tokenDir = mountOf(manager, 'condor-tokens');

    const root = mkdtempSync(join(tmpdir(), 'hpcop-pod-'));
    chmodSync(root, 0o755);
    const at = (p: string) => join(root, p);
    const secretDir = at(mountOf(init, secretVolume.name));
    mkdirSync(secretDir, { recursive: true });
    writeFileSync(join(secretDir, 'token'), readFileSync(join(STACK, 'condor/tokens.d/submitter')));
    chownSync(join(secretDir, 'token'), 0, gid);
    // fsGroup adds group read to defaultMode.
    chmodSync(join(secretDir, 'token'), secretVolume.secret.defaultMode | 0o040);
    mkdirSync(at(tokenDir), { recursive: true });
    chownSync(at(tokenDir), 0, gid);
    chmodSync(at(tokenDir), 0o2777);

    const configMap = find(objs, 'ConfigMap') as unknown as { data: { condor_config: string } };
    const configFile = (manager.env ?? []).find((e) => e.name === 'CONDOR_CONFIG')?.value as string;
    expect(configFile.startsWith(`${mountOf(manager, configVolume.name)}/`)).toBe(true);
    const [collectorHost] = env.HPC_COLLECTOR!.split(':');
    const config = (tokens: string) =>
      configMap.data.condor_config
        .replace(/^CONDOR_HOST = .*$/m, `CONDOR_HOST = ${collectorHost}`)
        .replace(/^SCHEDD_HOST = .*$/m, `SCHEDD_HOST = ${env.HPC_SCHEDD_NAME}`)
        .replace(`SEC_TOKEN_DIRECTORY = ${tokenDir}`, `SEC_TOKEN_DIRECTORY = ${tokens}`);
    expect(config('X')).toContain('SEC_TOKEN_DIRECTORY = X'); // the ConfigMap points at the token mount
    mkdirSync(at(configFile.replace(/\/[^/]+$/, '')), { recursive: true });

    const asPodUser = (cmd: string[]) =>
      spawnSync(
        'setpriv',
        [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'env', 'HOME=/tmp', ...cmd],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, CONDOR_CONFIG: at(configFile) },
        },
      );
    const condorQ = () => asPodUser([join(STACK, 'bin/condor_q'), '-totals']);

    // Without the init container (the Secret mounted as the token directory) HTCondor ignores the token.
    writeFileSync(at(configFile), config(secretDir));
    chmodSync(at(configFile), 0o644);
    expect(condorQ().stderr).toMatch(/Failed to authenticate/);

    // The init container's own command, paths under the scratch root.
    const command = (init.command ?? []).map((a) => (a.startsWith('/') ? at(a) : a));
    const copied = asPodUser(command);
    expect(copied.stderr).toBe('');
    expect(copied.status).toBe(0);
    writeFileSync(at(configFile), config(at(tokenDir)));
    const q = condorQ();
    expect(q.stderr).not.toMatch(/Failed to authenticate/);
    expect(q.stdout).toMatch(/Total for all users: \d+ jobs/);
  });
});

describe('config/rbac, proven by running the operator as its ServiceAccount', () => {
  const leaseId = uniqueName('hpc-operator-e2e');
  let op: OperatorProcess;
  let saKubeconfig: string;

  beforeAll(async () => {
    run('kubectl', ['apply', '-k', join(REPO, 'config/rbac')]);
    // The Secret of the managed serving certificate, created empty as config/webhook does.
    run('kubectl', ['apply', '-n', OPERATOR_NS, '-f', join(REPO, 'config/webhook/secret.yaml')]);
    const token = await core.createNamespacedServiceAccountToken({
      name: SA,
      namespace: OPERATOR_NS,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = kc.getCurrentCluster() as k8s.Cluster;
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-sa-'));
    saKubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      saKubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'local',
            cluster: {
              server: cluster.server,
              ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
              ...(cluster.caFile ? { 'certificate-authority': cluster.caFile } : {}),
            },
          },
        ],
        users: [{ name: SA, user: { token: token.status?.token } }],
        contexts: [{ name: 'sa', context: { cluster: 'local', user: SA } }],
        'current-context': 'sa',
      }),
      { mode: 0o600 },
    );
    // Secrets for the VirtualCluster below, created by an admin, as a tenant would.
    await createSiteSecrets(kc, ns);
    op = new OperatorProcess({
      namespace: ns,
      operatorId: ns,
      kubeconfig: saKubeconfig,
      leaderElection: { namespace: OPERATOR_NS, id: leaseId },
      // The managed serving certificate as config/manager runs it (the configuration itself is not
      // installed here: the operator finds none to patch, which its get on that one name may find out).
      // Events of a plain success too: the test reads them to see that the role lets them be written.
      extraArgs: [
        ...managerArgs().filter((a) => /^--(serving-cert-secret|webhook-)/.test(a)),
        '--lifecycle-events=true',
      ],
    });
    await op.start();
  });

  afterAll(async () => {
    await op?.stop();
    await coordination
      .deleteNamespacedLease({ name: leaseId, namespace: OPERATOR_NS })
      .catch(() => undefined);
    // The stack is shared: leave none of these roles behind (the namespace itself belongs to the stack).
    run('kubectl', ['delete', '-k', join(REPO, 'config/rbac'), '--ignore-not-found', '--wait=false']);
    run('kubectl', [
      'delete',
      '-n',
      OPERATOR_NS,
      '-f',
      join(REPO, 'config/webhook/secret.yaml'),
      '--ignore-not-found',
    ]);
  });

  it('the token is the ServiceAccount, and can-i pins what it may and may not do', () => {
    expect(
      run('kubectl', [
        '--kubeconfig',
        saKubeconfig,
        'auth',
        'whoami',
        '-o',
        'jsonpath={.status.userInfo.username}',
      ]),
    ).toBe(AS_SA);
    const all = ['--all-namespaces'];
    const inNs = ['-n', ns];
    const inOp = ['-n', OPERATOR_NS];
    const expectations: [string, string, string[], string[], 'yes' | 'no'][] = [
      // What src/ does.
      ['watch', 'hpcjobs.hpc.scailfin.io', all, [], 'yes'],
      ['list', 'virtualclusters.hpc.scailfin.io', all, [], 'yes'],
      ['patch', 'hpcjobs.hpc.scailfin.io', inNs, ['--subresource=status'], 'yes'],
      ['patch', 'virtualclusters.hpc.scailfin.io', inNs, ['--subresource=status'], 'yes'],
      ['delete', 'hpcjobs.hpc.scailfin.io', inNs, [], 'yes'],
      ['create', 'events.events.k8s.io', inNs, [], 'yes'],
      ['update', 'leases.coordination.k8s.io', inOp, [], 'yes'],
      ['get', 'secrets', inOp, [], 'yes'],
      // Live logs: who a token is, what a user may read, and the cluster's client CA (that one ConfigMap).
      ['create', 'tokenreviews.authentication.k8s.io', [], [], 'yes'],
      ['create', 'subjectaccessreviews.authorization.k8s.io', [], [], 'yes'],
      ['get', 'configmaps/extension-apiserver-authentication', ['-n', 'kube-system'], [], 'yes'],
      ['get', 'configmaps/kube-root-ca.crt', ['-n', 'kube-system'], [], 'no'],
      ['list', 'configmaps', ['-n', 'kube-system'], [], 'no'],
      // Its serving certificate: that one Secret, and the caBundle of its own webhook configuration.
      ['update', 'secrets/hpc-operator-serving-cert', inOp, [], 'yes'],
      ['get', 'validatingwebhookconfigurations/hpc-operator-validating-webhook', [], [], 'yes'],
      ['patch', 'validatingwebhookconfigurations/hpc-operator-validating-webhook', [], [], 'yes'],
      // Never spec: no create or update (PUT) of the custom resources, no deleting VirtualClusters.
      ['create', 'hpcjobs.hpc.scailfin.io', inNs, [], 'no'],
      ['update', 'hpcjobs.hpc.scailfin.io', inNs, [], 'no'],
      ['update', 'virtualclusters.hpc.scailfin.io', inNs, [], 'no'],
      ['delete', 'virtualclusters.hpc.scailfin.io', inNs, [], 'no'],
      // Secrets: get only, and only where bound.
      ['get', 'secrets', all, [], 'no'],
      ['list', 'secrets', all, [], 'no'],
      ['list', 'secrets', inOp, [], 'no'],
      ['watch', 'secrets', inOp, [], 'no'],
      ['get', 'secrets', inNs, [], 'no'],
      ['create', 'secrets', inOp, [], 'no'],
      ['update', 'secrets', inOp, [], 'no'],
      ['update', 'secrets/other', inOp, [], 'no'],
      ['patch', 'validatingwebhookconfigurations/other', [], [], 'no'],
      ['create', 'validatingwebhookconfigurations', [], [], 'no'],
      ['delete', 'validatingwebhookconfigurations/hpc-operator-validating-webhook', [], [], 'no'],
      // Nothing else of the cluster.
      ['create', 'pods', inNs, [], 'no'],
      ['create', 'pods', inOp, [], 'no'],
      ['get', 'configmaps', inNs, [], 'no'],
      ['create', 'deployments.apps', inOp, [], 'no'],
      ['create', 'events', inNs, [], 'no'],
      ['create', 'leases.coordination.k8s.io', inNs, [], 'no'],
      ['create', 'serviceaccounts', inOp, ['--subresource=token'], 'no'],
      ['create', 'rolebindings.rbac.authorization.k8s.io', inNs, [], 'no'],
      ['update', 'customresourcedefinitions.apiextensions.k8s.io', [], [], 'no'],
      ['impersonate', 'serviceaccounts', all, [], 'no'],
    ];
    const got = expectations.map(([verb, res, where, extra]) => [
      verb,
      res,
      ...where,
      ...extra,
      canI(verb, res, where, extra),
    ]);
    expect(got).toEqual(
      expectations.map(([verb, res, where, extra, want]) => [verb, res, ...where, ...extra, want]),
    );
  });

  it('keeps its serving certificate in its Secret and serves it (get and update on that one Secret are enough)', async () => {
    const stored = await waitFor(
      'the operator to write its certificate into hpc-operator-serving-cert',
      async () => {
        const secret = await core.readNamespacedSecret({
          name: 'hpc-operator-serving-cert',
          namespace: OPERATOR_NS,
        });
        const data = secret.data ?? {};
        return data['tls.crt'] && data['ca.crt'] ? data : undefined;
      },
      60_000,
      500,
    );
    const cert = Buffer.from(stored['tls.crt'] ?? '', 'base64').toString('utf8');
    const ca = Buffer.from(stored['ca.crt'] ?? '', 'base64').toString('utf8');
    expect(new X509Certificate(cert).subjectAltName).toContain(
      'DNS:hpc-operator-webhook.hpc-operator-system.svc',
    );
    // What the port serves is that certificate, and the CA of the Secret verifies it for 127.0.0.1.
    const served = await waitFor('the port to serve the stored certificate', async () => {
      const fp = await servedFingerprint(op.servingPort, ca).catch(() => undefined);
      return fp === new X509Certificate(cert).fingerprint256 ? fp : undefined;
    });
    expect(served).toBeDefined();
  });

  it('leads through its Lease, runs HPCJobs to Succeeded with Events, and deletes one after its TTL', async () => {
    const lease = await coordination.readNamespacedLease({ name: leaseId, namespace: OPERATOR_NS });
    expect(lease.spec?.holderIdentity).toMatch(/_\d+_/);
    // kubectl creates them, so that managedFields tell its writes from the operator's.
    const job = (name: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'HPCJob',
        metadata: { name, namespace: ns },
        spec: {
          command: ['/bin/sh', '-c', 'echo as a service account'],
          resources: { memory: '128Mi' },
          ...extra,
        },
      });
    run('kubectl', ['create', '-f', '-'], { input: job('as-sa') });
    run('kubectl', ['create', '-f', '-'], { input: job('ttl', { ttlSecondsAfterFinished: 0 }) });
    const done = await waitForPhase(kc, ns, 'as-sa', ['Succeeded', 'Failed'], 240_000);
    expect(done.status?.phase).toBe('Succeeded');
    const events = await waitFor('the Succeeded event', async () => {
      const e = await eventsFor(kc, ns, 'as-sa');
      return e.some((x) => x.reason === 'Succeeded') ? e : undefined;
    });
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Submitted', 'Succeeded']));
    expect(new Set(events.map((e) => e.reportingController))).toEqual(
      new Set(['hpc.scailfin.io/hpcjob-controller']),
    );
    // ttlSecondsAfterFinished 0: the operator deletes it (the delete verb) once it has finished.
    await waitFor(
      'the TTL HPCJob to be deleted',
      async () => (await getHPCJob(kc, ns, 'ttl')) === undefined,
      120_000,
      500,
    );
  });

  it('never writes spec: generation stays 1 and its managedFields are status and finalizers only', async () => {
    const obj = (await co.getNamespacedCustomObject({
      group: 'hpc.scailfin.io',
      version: 'v1alpha1',
      plural: 'hpcjobs',
      namespace: ns,
      name: 'as-sa',
    })) as { metadata: { generation: number; managedFields: k8s.V1ManagedFieldsEntry[] } };
    expect(obj.metadata.generation).toBe(1);
    const ours = obj.metadata.managedFields.filter((m) => m.manager !== 'kubectl-create');
    // Both kinds of the operator's writes are there, so the check below is not vacuous.
    expect(ours.some((m) => m.subresource === 'status')).toBe(true);
    const main = ours.filter((m) => m.subresource !== 'status');
    expect(main.length).toBeGreaterThan(0);
    for (const m of main) {
      const fields = m.fieldsV1 as Record<string, Record<string, unknown>>;
      expect(Object.keys(fields)).toEqual(['f:metadata']);
      expect(Object.keys(fields['f:metadata'] ?? {})).toEqual(['f:finalizers']);
    }
  });

  it('met no permission error while doing all that', () => {
    const log = readFileSync(op.logFile, 'utf8');
    expect(log.split('\n').filter((l) => /forbidden|\b403\b/i.test(l))).toEqual([]);
  });

  it('cannot read a VirtualCluster Secret where the secret reader is not bound, and can once it is', async () => {
    await co.createNamespacedCustomObject({
      ...VCS,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'site' },
        // No pilots: the check is the SSH login with the key from the Secret.
        spec: slurmSpec(0),
      },
    });
    const getVC = async () =>
      (await co.getNamespacedCustomObject({ ...VCS, name: 'site' })) as {
        status?: { phase?: string; conditions?: { type: string; status: string; message: string }[] };
      };
    // Unbound: the API server refuses the read; the VirtualCluster says so and how to fix it, the operator runs on.
    const blocked = await waitFor(
      'the VirtualCluster to report the Secret it may not read',
      async () => {
        const vc = await getVC();
        const c = vc.status?.conditions?.find((x) => x.type === 'PoolJoined');
        return c?.status === 'False' && (c as { reason?: string }).reason === 'SecretForbidden'
          ? vc
          : undefined;
      },
      60_000,
      500,
    );
    expect(blocked.status?.phase).toBe('Failed');
    expect(blocked.status?.conditions?.find((c) => c.type === 'PoolJoined')?.message).toBe(
      `the operator may not read Secret ${ns}/pilot-token: bind the ClusterRole hpc-operator-secret-reader to its ServiceAccount in namespace ${ns} (docs/install.md)`,
    );
    expect(op.pid && process.kill(op.pid, 0)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${op.healthPort}/healthz`)).status).toBe(200);

    // Bound the way docs/install.md says, the same VirtualCluster logs in with the key from its Secret.
    run('kubectl', [
      'create',
      'rolebinding',
      'hpc-operator-secret-reader',
      '-n',
      ns,
      '--clusterrole=hpc-operator-secret-reader',
      `--serviceaccount=${OPERATOR_NS}:${SA}`,
    ]);
    expect(canI('get', 'secrets', ['-n', ns])).toBe('yes');
    // Wake it now rather than at the end of its error backoff.
    run('kubectl', ['annotate', '-n', ns, 'virtualcluster/site', `hpc.scailfin.io/e2e-poke=${Date.now()}`]);
    const running = await waitFor(
      'the VirtualCluster to verify its credentials',
      async () => {
        const vc = await getVC();
        return vc.status?.conditions?.some((c) => c.type === 'CredentialsValid' && c.status === 'True')
          ? vc
          : undefined;
      },
      120_000,
      500,
    );
    expect(running.status?.conditions?.find((c) => c.type === 'CredentialsValid')?.message).toBe(
      'SSH login and host key verified',
    );
    expect(running.status?.conditions?.find((c) => c.type === 'SiteReachable')?.status).toBe('True');
    // Deleting it runs the finalizer, which needs the Secret too.
    await co.deleteNamespacedCustomObject({ ...VCS, name: 'site' });
    await waitFor(
      'the VirtualCluster to be gone',
      async () => {
        try {
          await getVC();
          return false;
        } catch (e) {
          return (e as k8s.ApiException<unknown>).code === 404;
        }
      },
      60_000,
      500,
    );
  });

  it('removes its finalizer from a deleted HPCJob, and gives the Lease up on SIGTERM', async () => {
    // Deleting while the operator runs also leaves the namespace free to go in afterAll.
    await deleteHPCJob(kc, ns, 'as-sa');
    await waitFor(
      'the HPCJob to be gone',
      async () => (await getHPCJob(kc, ns, 'as-sa')) === undefined,
      60_000,
      500,
    );
    expect(await op.stop()).toBe(0);
    const lease = await coordination.readNamespacedLease({ name: leaseId, namespace: OPERATOR_NS });
    expect(lease.spec?.holderIdentity ?? '').toBe('');
  });
});
