/**
 * PooledKubeConfig: every API call and watch of the adapters goes through one dispatcher and its keep-alive
 * connections. The stand-in API server counts the TCP connections it accepts: a plain KubeConfig opens one
 * per call (that is what the pool is for); the pooled one a fixed few however many calls are made (undici
 * hands a socket back to its pool a moment after the response is read, so a call that follows at once may
 * open a second one; from then on the two take turns).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { KubeEventSink } from './events.js';
import { PooledKubeConfig } from './kubeconfig.js';
import { KubeLeaseStore } from './leases.js';
import { KubeListWatch } from './list-watch.js';
import { KubeSecrets } from './secrets.js';
import { standInKubeConfig } from '../../../test/support/stand-in-kubeconfig.js';

let server: Server;
let port = 0;
let connections = 0;
const open = new Set<Socket>();
let onClosed: (() => void) | undefined;

/** Resolves once the server holds no open connection. */
function allClosed(): Promise<void> {
  return new Promise((resolve) => {
    onClosed = () => {
      if (open.size === 0) resolve();
    };
    onClosed();
  });
}

function answer(url: URL, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  if (url.searchParams.get('watch') === 'true') {
    // A watch that ends at once: its connection goes back to the pool.
    res.end(JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '2' } } }) + '\n');
    return;
  }
  if (url.pathname.includes('/leases/')) {
    res.end(JSON.stringify({ metadata: { name: 'l', namespace: 'ns' }, spec: { holderIdentity: 'a' } }));
    return;
  }
  res.end(JSON.stringify({ metadata: { name: 'x', resourceVersion: '1' }, items: [], data: {} }));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(new URL(req.url ?? '/', 'http://x'), res));
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      onClosed?.();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

beforeEach(() => {
  server.closeAllConnections();
  connections = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** client-node as it comes, with a bearer token (set per request, also through the pool). */
const load = (): k8s.KubeConfig => standInKubeConfig(port, { token: 't' });

/** `rounds` × (a Lease read, a Secret read, a list, an Event, a watch to its end), one after another. */
async function traffic(kc: k8s.KubeConfig, rounds: number): Promise<number> {
  const leases = new KubeLeaseStore(kc);
  const secrets = new KubeSecrets(kc);
  const events = new KubeEventSink(kc);
  const things = new KubeListWatch(kc, { group: 'g', version: 'v1', plural: 'things', namespace: 'ns' });
  for (let i = 0; i < rounds; i++) {
    await leases.get('ns', 'l');
    await secrets.read('ns', 's', 'k');
    await things.list({ limit: 10 });
    await events.create({
      namespace: 'ns',
      name: `e${i}`,
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'c',
      reportingInstance: 'i',
      action: 'a',
      reason: 'r',
      type: 'Normal',
      note: 'n',
      regarding: { kind: 'Thing', namespace: 'ns', name: 'x' },
    });
    await new Promise<unknown>((done) => {
      void things.watch({ resourceVersion: '1', timeoutSeconds: 60 }, () => undefined, done);
    });
  }
  return rounds * 5;
}

describe('PooledKubeConfig', () => {
  it('a plain KubeConfig opens a connection per call (what the pool is for: the counter sees them)', async () => {
    const calls = await traffic(load(), 4);
    expect(connections).toBe(calls);
  });

  it('sends every call and watch of the adapters through one dispatcher and a fixed few connections', async () => {
    const kc = PooledKubeConfig.from(load());
    await traffic(kc, 2);
    const warm = connections;
    expect(warm).toBeLessThanOrEqual(2);
    const calls = await traffic(kc, 20);
    expect(calls).toBe(100);
    expect(connections).toBe(warm); // 100 more calls, not one more connection
    expect(kc.pools).toHaveLength(1);
    await kc.close();
  });

  it('keeps the current context, cluster and user of the KubeConfig it copies', () => {
    const kc = PooledKubeConfig.from(load());
    expect([kc.getCurrentContext(), kc.getCurrentCluster()?.server, kc.getCurrentUser()?.token]).toEqual([
      'x',
      `http://127.0.0.1:${port}`,
      't',
    ]);
  });

  it('close() ends the pooled connections; the next call starts a new pool', async () => {
    const kc = PooledKubeConfig.from(load());
    await traffic(kc, 1);
    const first = kc.pools[0];
    expect(open.size).toBeGreaterThan(0);
    await kc.close();
    // undici's Agent says so itself (the flag is in its typings, not in Dispatcher's).
    expect(first && 'destroyed' in first && first.destroyed).toBe(true);
    await allClosed();
    expect(kc.pools).toHaveLength(0);
    const before = connections;
    await traffic(kc, 1);
    expect(kc.pools).toHaveLength(1);
    expect(kc.pools[0]).not.toBe(first);
    expect(connections).toBeGreaterThan(before);
    await kc.close();
  });
});
