import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pino } from 'pino';
import { EventRecorder } from './events.js';
import { Metrics } from './metrics.js';

/** A stand-in events endpoint on loopback that holds every request until released. */
let server: Server;
let port = 0;
const held: ServerResponse[] = [];
let maxOpen = 0;
let received = 0;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      received++;
      held.push(res);
      maxOpen = Math.max(maxOpen, held.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const r of held.splice(0)) r.end('{}');
  await new Promise((r) => server.close(r));
});

function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

const obj = {
  apiVersion: 'hpc.scailfin.io/v1alpha1',
  kind: 'HPCJob',
  metadata: { name: 'j', namespace: 'n' },
};

describe('EventRecorder', () => {
  it('writes a few Events at a time and drops (and counts) what overflows its buffer', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const rec = new EventRecorder(kubeConfig(), {
      controller: 'test',
      instance: 'i',
      log: pino({ level: process.env.DEBUG_TEST ? 'debug' : 'silent' }),
      metrics,
      concurrency: 3,
      bufferSize: 10,
    });
    for (let i = 0; i < 20; i++) rec.event(obj, 'Normal', 'Test', 'Test', `event ${i}`);
    // 3 in flight, 10 waiting, 7 dropped.
    expect(rec.backlog).toBe(13);
    const dropped = async () =>
      (await metrics.registry.getSingleMetric('hpc_kube_writes_total')?.get())?.values.find(
        (v) => v.labels.outcome === 'dropped',
      )?.value;
    expect(await dropped()).toBe(7);
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      if (held.length === 0 && rec.backlog === 0) break;
      for (const r of held.splice(0)) r.end('{}');
    }
    expect(received).toBe(13);
    expect(maxOpen).toBeLessThanOrEqual(3);
  });
});
