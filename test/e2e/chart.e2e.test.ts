/**
 * The Helm chart's values and toggles, rendered by helm and checked by the local stack's real API server
 * (server-side dry runs; no kubelet runs here, so nothing is scheduled): the values schema refuses typos and
 * wrong types naming the key; crds, image.digest, replicas (PodDisruptionBudget, topology spread),
 * prometheusRule, grafanaDashboard and webhook (operator-managed or cert-manager certificate) each render
 * what they promise, and nothing when off.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART, HELM, dryRun, find, helmTemplate, kustomize, run, type KubeObject } from './helpers/chart.js';
import { REPO, loadStackEnv } from '../support/stack/stack.js';

loadStackEnv();
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

interface PodSpec {
  containers: { image: string }[];
  initContainers: { image: string }[];
  topologySpreadConstraints?: {
    topologyKey: string;
    labelSelector: { matchLabels: Record<string, string> };
  }[];
}
const podSpec = (objs: KubeObject[]) =>
  (
    find(objs, 'Deployment') as unknown as {
      spec: { template: { spec: PodSpec; metadata: { labels: Record<string, string> } } };
    }
  ).spec.template;
const kinds = (objs: KubeObject[]) => objs.map((o) => o.kind);

/** helm template's error output for values the schema refuses. */
function refused(set: string[]): string {
  const args = ['template', 'x', CHART, ...set.flatMap((s) => ['--set', s])];
  try {
    run(HELM, args);
  } catch (e) {
    return String(e);
  }
  throw new Error(`helm template accepted ${set.join(' ')}`);
}

describe('the values schema', () => {
  it('refuses an unknown key and a wrong type, naming the key', () => {
    expect(refused(['replica=3'])).toMatch(/additional properties 'replica' not allowed/);
    expect(refused(['condor.hots=cm'])).toMatch(/at '\/condor': additional properties 'hots' not allowed/);
    expect(refused(['replicas=two'])).toMatch(/at '\/replicas': got string, want integer/);
    expect(refused(['image.digest=latest'])).toMatch(/at '\/image\/digest'/);
    expect(refused(['prometheusRule.enabled=yes'])).toMatch(/at '\/prometheusRule\/enabled'/);
  });
});

describe('crds', () => {
  it('renders the generated CRDs, kept on uninstall, accepted by the API server as an update', () => {
    const crds = helmTemplate().filter((o) => o.kind === 'CustomResourceDefinition');
    const generated = kustomize('config/crd');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(generated.map((c) => c.metadata.name).sort());
    for (const c of crds) {
      const g = generated.find((x) => x.metadata.name === c.metadata.name) as KubeObject;
      expect(c.spec).toEqual(g.spec);
      expect(c.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    }
    // The same schemas the stack runs with: an upgrade of them, as helm upgrade would send.
    expect(dryRun(crds)).toContain('customresourcedefinition.apiextensions.k8s.io/hpcjobs.hpc.scailfin.io');
  });

  it('crds.keep=false lets helm uninstall remove them; crds.enabled=false renders none', () => {
    const loose = helmTemplate(['crds.keep=false']).filter((o) => o.kind === 'CustomResourceDefinition');
    expect(loose).toHaveLength(kustomize('config/crd').length);
    for (const c of loose) expect(c.metadata.annotations?.['helm.sh/resource-policy']).toBeUndefined();
    expect(kinds(helmTemplate(['crds.enabled=false']))).not.toContain('CustomResourceDefinition');
  });
});

describe('image.digest', () => {
  it('pins both containers to repository@digest', () => {
    const t = podSpec(helmTemplate([`image.digest=${DIGEST}`, 'image.tag=ignored']));
    const images = [...t.spec.initContainers, ...t.spec.containers].map((c) => c.image);
    expect(images).toEqual([
      `ghcr.io/scailfin/hpc-operator@${DIGEST}`,
      `ghcr.io/scailfin/hpc-operator@${DIGEST}`,
    ]);
  });
});

describe('replicas', () => {
  it('one replica: no PodDisruptionBudget and no spread', () => {
    const objs = helmTemplate();
    expect(kinds(objs)).not.toContain('PodDisruptionBudget');
    expect(podSpec(objs).spec.topologySpreadConstraints).toBeUndefined();
  });

  it('two: a PodDisruptionBudget and a spread over nodes that select the manager pod, accepted by the API server', () => {
    const objs = helmTemplate(['replicas=2']);
    const pdb = find(objs, 'PodDisruptionBudget') as unknown as {
      spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
    };
    const t = podSpec(objs);
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(t.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    const [spread] = t.spec.topologySpreadConstraints ?? [];
    expect(spread?.topologyKey).toBe('kubernetes.io/hostname');
    expect(t.metadata.labels).toMatchObject(spread?.labelSelector.matchLabels ?? { none: 'given' });
    dryRun(objs.filter((o) => o.kind === 'PodDisruptionBudget' || o.kind === 'Deployment'));
    expect(
      helmTemplate(['replicas=2', 'podDisruptionBudget.enabled=false']).map((o) => o.kind),
    ).not.toContain('PodDisruptionBudget');
  });

  it('topologySpreadConstraints given are used as they are', () => {
    const t = podSpec(
      helmTemplate([
        'replicas=3',
        'topologySpreadConstraints[0].maxSkew=1',
        'topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone',
        'topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule',
      ]),
    );
    expect(t.spec.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' },
    ]);
  });
});

describe('prometheusRule', () => {
  it('renders the groups of the plain rules file, with the labels asked for; nothing when off', () => {
    const plain = parse(readFileSync(join(REPO, 'charts/hpc-operator/files/prometheus-rules.yaml'), 'utf8'));
    const objs = helmTemplate(['prometheusRule.enabled=true', 'prometheusRule.labels.release=kps']);
    const rule = find(objs, 'PrometheusRule') as KubeObject;
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.spec).toEqual(plain);
    expect(rule.metadata.labels?.release).toBe('kps');
    expect(kinds(helmTemplate())).not.toContain('PrometheusRule');
  });
});

describe('grafanaDashboard', () => {
  it('renders the dashboard in a ConfigMap the sidecar finds, accepted by the API server; nothing when off', () => {
    const dashboard = JSON.parse(
      readFileSync(join(CHART, 'files/grafana-dashboard.json'), 'utf8'),
    ) as unknown;
    const on = helmTemplate([
      'grafanaDashboard.enabled=true',
      'grafanaDashboard.annotations.grafana_folder=HPC',
    ]);
    const cm = find(on, 'ConfigMap', 'hpc-operator-dashboard') as KubeObject & {
      data: Record<string, string>;
    };
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    expect(cm.metadata.annotations?.grafana_folder).toBe('HPC');
    expect(JSON.parse(cm.data['hpc-operator.json'] as string)).toEqual(dashboard);
    expect(dryRun([cm])).toContain('configmap/hpc-operator-dashboard');
    expect(find(helmTemplate(), 'ConfigMap', 'hpc-operator-dashboard')).toBeUndefined();
  });
});

describe('webhook', () => {
  type Manager = { args: string[]; volumeMounts: { name: string; mountPath: string }[] };
  const manager = (objs: KubeObject[]) =>
    (
      find(objs, 'Deployment') as unknown as {
        spec: {
          template: {
            spec: { containers: Manager[]; volumes: { name: string; secret?: { secretName: string } }[] };
          };
        };
      }
    ).spec.template.spec;
  const names = (objs: KubeObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`);

  it('by default: the operator manages the certificate in its Secret and sets the caBundle, with RBAC for exactly that', () => {
    const objs = helmTemplate();
    const args = manager(objs).containers[0]?.args ?? [];
    expect(args).toEqual(
      expect.arrayContaining([
        '--serving-cert-secret=hpc-operator-serving-cert',
        '--webhook-service-name=hpc-operator-webhook',
        '--webhook-config-name=hpc-operator-validating-webhook',
      ]),
    );
    expect(names(objs)).toEqual(
      expect.arrayContaining([
        'Service/hpc-operator-webhook',
        'ValidatingWebhookConfiguration/hpc-operator-validating-webhook',
        'Secret/hpc-operator-serving-cert',
        'Role/hpc-operator-serving-cert',
        'ClusterRole/hpc-operator-webhook-config',
      ]),
    );
    const vwc = find(objs, 'ValidatingWebhookConfiguration') as unknown as {
      metadata: { annotations?: Record<string, string> };
      webhooks: { failurePolicy: string; rules: { operations: string[] }[]; namespaceSelector?: unknown }[];
    };
    expect(vwc.metadata.annotations).toBeUndefined();
    for (const w of vwc.webhooks) {
      expect(w.failurePolicy).toBe('Ignore');
      expect(w.rules[0]?.operations).toEqual(['CREATE', 'UPDATE']);
      expect(w.namespaceSelector).toBeUndefined();
    }
  });

  it('with watchNamespace, reviews only that namespace', () => {
    const vwc = find(helmTemplate(['watchNamespace=team']), 'ValidatingWebhookConfiguration') as unknown as {
      webhooks: { namespaceSelector: unknown }[];
    };
    for (const w of vwc.webhooks)
      expect(w.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'team' } });
  });

  it('with cert-manager: a Certificate (self-signed Issuer, or the one named), its CA injected, its Secret mounted; no Secret or RBAC of the managed mode', () => {
    const objs = helmTemplate(['webhook.certManager.enabled=true']);
    expect(names(objs)).toEqual(
      expect.arrayContaining(['Issuer/hpc-operator-webhook', 'Certificate/hpc-operator-webhook']),
    );
    for (const gone of [
      'Secret/hpc-operator-serving-cert',
      'Role/hpc-operator-serving-cert',
      'ClusterRole/hpc-operator-webhook-config',
    ])
      expect(names(objs)).not.toContain(gone);
    const vwc = find(objs, 'ValidatingWebhookConfiguration') as KubeObject;
    expect(vwc.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(
      'hpc-operator-system/hpc-operator-webhook',
    );
    const cert = find(objs, 'Certificate') as unknown as { spec: { secretName: string; dnsNames: string[] } };
    expect(cert.spec.dnsNames).toContain('hpc-operator-webhook.hpc-operator-system.svc');
    const pod = manager(objs);
    expect(pod.containers[0]?.args).toContain('--serving-cert-dir=/run/hpc-operator/serving-cert');
    expect(pod.containers[0]?.args.some((a) => a.startsWith('--serving-cert-secret'))).toBe(false);
    expect(pod.volumes.find((v) => v.name === 'serving-cert')?.secret?.secretName).toBe(cert.spec.secretName);
    // No cert-manager on the stack: what the API server knows of is dry-run.
    dryRun(objs.filter((o) => !['Certificate', 'Issuer', 'CustomResourceDefinition'].includes(o.kind)));
    const named = helmTemplate([
      'webhook.certManager.enabled=true',
      'webhook.certManager.issuerRef.name=site-ca',
      'webhook.certManager.issuerRef.kind=ClusterIssuer',
    ]);
    expect(find(named, 'Issuer')).toBeUndefined();
    expect(
      (find(named, 'Certificate') as unknown as { spec: { issuerRef: unknown } }).spec.issuerRef,
    ).toEqual({
      name: 'site-ca',
      kind: 'ClusterIssuer',
    });
  });

  it('off: no configuration, Service, Secret or webhook RBAC', () => {
    const objs = helmTemplate(['webhook.enabled=false']);
    for (const kind of ['ValidatingWebhookConfiguration', 'Service']) expect(kinds(objs)).not.toContain(kind);
    expect(names(objs).filter((n) => /serving-cert|webhook/.test(n))).toEqual([]);
  });
});

describe('every toggle on at once', () => {
  it('renders, and helm lint --strict passes', () => {
    const all = [
      'replicas=2',
      `image.digest=${DIGEST}`,
      'prometheusRule.enabled=true',
      'grafanaDashboard.enabled=true',
      'serviceMonitor.enabled=true',
      'networkPolicy.enabled=true',
      'crds.keep=false',
      'webhook.certManager.enabled=true',
    ];
    expect(run(HELM, ['lint', '--strict', CHART, ...all.flatMap((s) => ['--set', s])])).toContain(
      '0 chart(s) failed',
    );
    const rendered = kinds(helmTemplate(all));
    for (const kind of ['PodDisruptionBudget', 'PrometheusRule', 'ServiceMonitor', 'NetworkPolicy'])
      expect(rendered).toContain(kind);
    expect(rendered.filter((k) => k === 'CustomResourceDefinition')).toHaveLength(
      kustomize('config/crd').length,
    );
    // The condor configuration and the dashboard.
    expect(rendered.filter((k) => k === 'ConfigMap')).toHaveLength(2);
  });
});
