/**
 * Keeps one HTTPS agent per cluster alive. @kubernetes/client-node 1.4 makes a new agent for every request
 * (kubernetes-client/javascript#2893, fixed only in 2.x, which needs Node 22): a TLS handshake per status
 * write and a socket per call. Reusing one keep-alive agent fixes both. Bearer tokens are added per request,
 * so rotated service-account tokens are still picked up.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Agent } from 'node:https';

/** createAgent is private in the typings but an ordinary method at run time: this is its shape. */
interface AgentFactory {
  createAgent(
    cluster: { server?: string; proxyUrl?: string } | null,
    agentOptions: Record<string, unknown>,
  ): Agent;
}

/** Makes `kc` reuse one keep-alive agent per cluster and user. Returns a function that closes them. */
export function poolAgents(kc: k8s.KubeConfig): () => void {
  const target = kc as unknown as AgentFactory;
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, agentOptions) => {
    const key = `${cluster?.server ?? ''}|${cluster?.proxyUrl ?? ''}|${kc.getCurrentUser()?.name ?? ''}`;
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...agentOptions, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
  return () => {
    for (const a of agents.values()) a.destroy();
    agents.clear();
  };
}
