/**
 * A KubeConfig for a stand-in API server that a unit test runs on loopback over plain HTTP. skipTLSVerify
 * gives client-node a TLS setting, so it builds a dispatcher for each call as it does for a real cluster's
 * CA and client certificate (what runtime/kube/kubeconfig.ts pools).
 */
import * as k8s from '@kubernetes/client-node';

export function standInKubeConfig(port: number, user: { token?: string } = {}): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
