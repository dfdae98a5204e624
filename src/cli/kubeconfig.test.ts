import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './args.js';
import { CliError } from './errors.js';
import { loadKubeConfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'hpcop-kubeconfig-'));
function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
const CLUSTER = `clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
`;
const ok = file(
  'ok',
  `apiVersion: v1\nkind: Config\n${CLUSTER}contexts: [{name: a, context: {cluster: c, user: u, namespace: x}}, {name: b, context: {cluster: c, user: u}}]\ncurrent-context: a\n`,
);
const noHome = { HOME: join(dir, 'nohome') };

describe('loadKubeConfig', () => {
  it('loads --kubeconfig, then $KUBECONFIG, and selects --context', () => {
    expect(loadKubeConfig({ kubeconfig: ok, env: noHome }).getCurrentContext()).toBe('a');
    expect(loadKubeConfig({ env: { ...noHome, KUBECONFIG: ok }, context: 'b' }).getCurrentContext()).toBe(
      'b',
    );
  });

  it('says plainly why nothing usable was found', () => {
    const cases: [Parameters<typeof loadKubeConfig>[0], RegExp][] = [
      [
        { env: noHome },
        /^no kubeconfig: \$KUBECONFIG is not set and ~\/\.kube\/config does not exist; set KUBECONFIG/,
      ],
      [
        { env: { ...noHome, KUBECONFIG: file('empty', '') } },
        /^the kubeconfig .*empty is empty: set KUBECONFIG/,
      ],
      [{ env: { ...noHome, KUBECONFIG: file('junk', 'hello: 1\n') } }, /junk has no contexts/],
      [
        { env: noHome, kubeconfig: join(dir, 'missing') },
        /^cannot load the kubeconfig .*missing: no such file$/,
      ],
      [
        {
          env: {
            ...noHome,
            KUBECONFIG: file(
              'nocurrent',
              `apiVersion: v1\nkind: Config\n${CLUSTER}contexts: [{name: a, context: {cluster: c, user: u}}]\n`,
            ),
          },
        },
        /has no current context: pass --context NAME \(contexts: a\)$/,
      ],
      [
        { env: { ...noHome, KUBECONFIG: file('nocontexts', `apiVersion: v1\nkind: Config\n${CLUSTER}`) } },
        /has no contexts: set KUBECONFIG/,
      ],
    ];
    for (const [o, message] of cases) {
      expect(() => loadKubeConfig(o)).toThrow(CliError);
      expect(() => loadKubeConfig(o)).toThrow(message);
    }
    expect(() => loadKubeConfig({ kubeconfig: ok, env: noHome, context: 'z' })).toThrow(UsageError);
    expect(() => loadKubeConfig({ kubeconfig: ok, env: noHome, context: 'z' })).toThrow(
      /no context z in the kubeconfig .* \(contexts: a, b\)/,
    );
  });

  it('uses the in-cluster ServiceAccount when there is no kubeconfig in a pod', () => {
    // loadFromCluster reads the token files lazily; what matters is that it is chosen, not localhost:8080.
    const kc = loadKubeConfig({ env: { ...noHome, KUBERNETES_SERVICE_HOST: '10.0.0.1' } });
    expect(kc.getCurrentCluster()?.name).toBe('inCluster');
  });
});
