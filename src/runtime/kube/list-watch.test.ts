/**
 * client-node 2's Watch aborts with a TimeoutError when nothing arrives for 30 s, and on the local stack a
 * quiet watch does hit it (the API server's bookmarks come about once a minute). KubeListWatch reports that
 * as a close once the API server has answered, and as an error before. The 30 s pass on Jest's fake clock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { standInKubeConfig } from '../../../test/support/stand-in-kubeconfig.js';
import { KubeListWatch } from './list-watch.js';

let server: Server;
let port = 0;
/** How the stand-in API server treats a watch: open the stream and stay quiet, or never answer. */
let mode: 'quiet' | 'silent' = 'quiet';
let arrived: () => void = () => undefined;

beforeAll(async () => {
  server = createServer((_req, res: ServerResponse) => {
    if (mode === 'quiet') res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    arrived();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterEach(() => {
  jest.useRealTimers();
  server.closeAllConnections();
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

function source(): KubeListWatch<never> {
  return new KubeListWatch(standInKubeConfig(port), { group: 'g', version: 'v1', plural: 'things' });
}

/** Starts a watch, lets 30 s pass once the server has it, and resolves what the watch ended with. */
async function endOfWatch(): Promise<unknown> {
  // Only the timers: the sockets, promises and nextTick stay real.
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance'] });
  const atServer = new Promise<void>((r) => (arrived = r));
  let started: Promise<unknown> | undefined;
  const ended = new Promise<unknown>((done) => {
    started = source().watch(
      { resourceVersion: '1', timeoutSeconds: 300 },
      () => undefined,
      (err) => done(err ?? 'closed'),
    );
  });
  await atServer;
  // A quiet watch: the 200 reached the client and watch() resolved before the clock moves.
  if (mode === 'quiet') await started;
  jest.advanceTimersByTime(30_001);
  return ended;
}

describe('KubeListWatch and the 30 s inactivity timer of client-node 2', () => {
  it('a watch the API server answered and then kept quiet for 30 s ends as a close', async () => {
    mode = 'quiet';
    expect(await endOfWatch()).toBe('closed');
  });

  it('a watch the API server never answered ends with the TimeoutError', async () => {
    mode = 'silent';
    expect(await endOfWatch()).toMatchObject({ name: 'TimeoutError' });
  });
});
