import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SecretAccessError, errorMessage, isConflict, isGone, type WatchEventType } from '../kube-api.js';
import { KubeEventSink } from './events.js';
import { KubeLeaseStore } from './leases.js';
import { KubeListWatch } from './list-watch.js';
import { KubeObjectWriter } from './objects.js';
import { KubeSecrets } from './secrets.js';
import { standInKubeConfig } from '../../../test/support/stand-in-kubeconfig.js';

/** What the stand-in API server saw of one request. */
interface Seen {
  method: string;
  url: URL;
  contentType: string | undefined;
  body: unknown;
}

type Handler = (req: Seen, res: ServerResponse) => void;

/** A stand-in API server on loopback: each test sets how it answers. */
let server: Server;
let port = 0;
let handler: Handler = (_req, res) => res.writeHead(500).end();
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://x'),
        contentType: req.headers['content-type'],
        body: data ? JSON.parse(data) : undefined,
      };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const kubeConfig = (): k8s.KubeConfig => standInKubeConfig(port);

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const status = (code: number, reason: string) => ({ kind: 'Status', apiVersion: 'v1', code, reason });

describe('KubeLeaseStore', () => {
  it('reads a Lease into a LeaseRecord, and a missing one as undefined', async () => {
    const store = new KubeLeaseStore(kubeConfig());
    handler = (req, res) =>
      req.url.pathname.endsWith('/leases/present')
        ? json(res, 200, {
            metadata: { name: 'present', namespace: 'ns', resourceVersion: '42' },
            spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:01.000001Z' },
          })
        : json(res, 404, status(404, 'NotFound'));
    expect(await store.get('ns', 'present')).toEqual({
      namespace: 'ns',
      name: 'present',
      resourceVersion: '42',
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: undefined,
      renewTime: '2026-01-01T00:00:01.000000Z',
      leaseTransitions: 0,
    });
    expect(await store.get('ns', 'absent')).toBeUndefined();
  });

  it('honours the AbortSignal of a call the server never answers', async () => {
    const store = new KubeLeaseStore(kubeConfig());
    let arrived!: (req: Seen) => void;
    const atServer = new Promise<Seen>((r) => (arrived = r));
    handler = (req) => arrived(req); // and never answer
    const ac = new AbortController();
    const lease = {
      namespace: 'ns',
      name: 'l',
      resourceVersion: '1',
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    };
    const call = store.update(lease, ac.signal);
    const put = await atServer;
    expect(put.method).toBe('PUT');
    expect(put.body).toMatchObject({ metadata: { resourceVersion: '1' }, spec: { holderIdentity: 'a' } });
    ac.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('KubeSecrets', () => {
  it('decodes values, reports a missing Secret as undefined and a forbidden one as SecretAccessError', async () => {
    const secrets = new KubeSecrets(kubeConfig());
    handler = (req, res) => {
      if (req.url.pathname.endsWith('/secrets/ok'))
        return json(res, 200, {
          metadata: { name: 'ok' },
          data: { key: Buffer.from('v4lue').toString('base64') },
        });
      if (req.url.pathname.endsWith('/secrets/denied')) return json(res, 403, status(403, 'Forbidden'));
      json(res, 404, status(404, 'NotFound'));
    };
    expect(await secrets.readAll('ns', 'ok')).toEqual({ key: 'v4lue' });
    expect(await secrets.read('ns', 'ok', 'key')).toBe('v4lue');
    expect(await secrets.read('ns', 'ok', 'other')).toBeUndefined();
    expect(await secrets.read('ns', 'gone', 'key')).toBeUndefined();
    await expect(secrets.readAll('ns', 'denied')).rejects.toBeInstanceOf(SecretAccessError);
  });
});

describe('KubeObjectWriter', () => {
  const kind = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'hpcjobs' };
  const obj = {
    metadata: { name: 'j', namespace: 'ns', uid: 'u1', resourceVersion: '7', finalizers: ['x'] },
  };

  it('merge-patches /status and finalizers with the resourceVersion, and deletes with the uid', async () => {
    const writer = new KubeObjectWriter(kubeConfig(), kind);
    handler = (req, res) =>
      req.url.pathname.endsWith('/conflict/status')
        ? json(res, 409, status(409, 'Conflict'))
        : json(res, 200, obj);
    const from = seen.length;
    await writer.patchStatus(obj, { phase: 'Running' });
    await writer.addFinalizer(obj, 'y');
    await writer.delete(obj);
    await expect(
      writer.patchStatus({ metadata: { ...obj.metadata, name: 'conflict' } }, {}),
    ).rejects.toMatchObject({ code: 409 });
    const [st, fin, del] = seen.slice(from);
    expect([st?.method, st?.url.pathname, st?.contentType]).toEqual([
      'PATCH',
      '/apis/hpc.scailfin.io/v1alpha1/namespaces/ns/hpcjobs/j/status',
      'application/merge-patch+json',
    ]);
    expect(st?.body).toEqual({ metadata: { resourceVersion: '7' }, status: { phase: 'Running' } });
    expect(fin?.body).toEqual({ metadata: { resourceVersion: '7', finalizers: ['x', 'y'] } });
    expect(fin?.contentType).toBe('application/merge-patch+json');
    expect([del?.method, del?.body]).toEqual(['DELETE', { preconditions: { uid: 'u1' } }]);
  });
});

describe('KubeEventSink', () => {
  it('creates an events.k8s.io/v1 Event with a microsecond eventTime', async () => {
    const sink = new KubeEventSink(kubeConfig());
    handler = (_req, res) => json(res, 201, {});
    await sink.create({
      name: 'j.abc',
      namespace: 'ns',
      eventTime: '2026-01-01T00:00:00.123000Z',
      reportingController: 'c',
      reportingInstance: 'c-i',
      action: 'Submit',
      reason: 'Submitted',
      type: 'Normal',
      note: 'n',
      regarding: { kind: 'HPCJob', name: 'j', namespace: 'ns' },
    });
    const post = seen.at(-1);
    expect(post?.url.pathname).toBe('/apis/events.k8s.io/v1/namespaces/ns/events');
    expect(post?.body).toMatchObject({
      metadata: { name: 'j.abc' },
      eventTime: '2026-01-01T00:00:00.123000Z',
      reason: 'Submitted',
    });
  });

  it('sets the series of an Event with a merge patch', async () => {
    const sink = new KubeEventSink(kubeConfig());
    handler = (_req, res) => json(res, 200, {});
    await sink.patchSeries('ns', 'j.abc', { count: 3, lastObservedTime: '2026-01-01T00:00:05.000000Z' });
    const patch = seen.at(-1);
    expect([patch?.method, patch?.url.pathname, patch?.contentType]).toEqual([
      'PATCH',
      '/apis/events.k8s.io/v1/namespaces/ns/events/j.abc',
      'application/merge-patch+json',
    ]);
    expect(patch?.body).toEqual({ series: { count: 3, lastObservedTime: '2026-01-01T00:00:05.000000Z' } });
  });
});

describe('KubeListWatch', () => {
  it('lists with limit and continue, and watches with bookmarks and a timeout, reporting a close', async () => {
    const source = new KubeListWatch(kubeConfig(), {
      group: 'g',
      version: 'v1',
      plural: 'things',
      namespace: 'ns',
    });
    handler = (req, res) => {
      if (req.url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(
          JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '6' } } }) + '\n',
        );
        res.end(
          JSON.stringify({ type: 'BOOKMARK', object: { metadata: { name: '', resourceVersion: '9' } } }) +
            '\n',
        );
        return;
      }
      json(res, 200, {
        items: [{ metadata: { name: 'a' } }],
        metadata: { resourceVersion: '5', continue: '' },
      });
    };
    const page = await source.list({ limit: 2, continue: 'tok' });
    expect(page).toEqual({ items: [{ metadata: { name: 'a' } }], resourceVersion: '5', continue: undefined });
    const list = seen.at(-1);
    expect([
      list?.url.pathname,
      list?.url.searchParams.get('limit'),
      list?.url.searchParams.get('continue'),
    ]).toEqual(['/apis/g/v1/namespaces/ns/things', '2', 'tok']);
    const events: string[] = [];
    const done = new Promise<unknown>((resolve) => {
      void source.watch(
        { resourceVersion: '5', timeoutSeconds: 321 },
        (type: WatchEventType, obj) =>
          events.push(`${type} ${'metadata' in obj ? obj.metadata.resourceVersion : ''}`),
        resolve,
      );
    });
    expect(await done).toBeUndefined();
    expect(events).toEqual(['ADDED 6', 'BOOKMARK 9']);
    const watch = seen.at(-1)?.url.searchParams;
    expect([
      watch?.get('resourceVersion'),
      watch?.get('allowWatchBookmarks'),
      watch?.get('timeoutSeconds'),
    ]).toEqual(['5', 'true', '321']);
  });
});

describe("client-node's errors, as kube-api reads them", () => {
  it('a failed write keeps the HTTP status and the API server message; a watch refused with 410 is Gone', async () => {
    const writer = new KubeObjectWriter(kubeConfig(), { group: 'g', version: 'v1', plural: 'things' });
    const source = new KubeListWatch(kubeConfig(), { group: 'g', version: 'v1', plural: 'things' });
    handler = (req, res) =>
      req.url.searchParams.get('watch') === 'true'
        ? json(res, 410, status(410, 'Expired'))
        : json(res, 409, { ...status(409, 'Conflict'), message: 'the object has been modified' });
    const write = await writer
      .patchStatus({ metadata: { name: 'a', namespace: 'ns', resourceVersion: '1' } }, {})
      .catch((e: unknown) => e);
    expect(isConflict(write)).toBe(true);
    expect(errorMessage(write)).toMatch(/: the object has been modified$/);
    const ended = await new Promise<unknown>((done) => {
      void source.watch({ resourceVersion: '1', timeoutSeconds: 60 }, () => undefined, done);
    });
    expect(isGone(ended)).toBe(true);
  });
});
