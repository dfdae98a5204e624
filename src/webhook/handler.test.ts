import { describe, expect, it } from '@jest/globals';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { makeHPCJob } from '../../test/support/builders/hpcjob.js';
import { makeHPCJobSet } from '../../test/support/builders/hpcjobset.js';
import { admissionHandler, admit, type AdmissionDeps } from './handler.js';
import type { Found } from './review.js';

const log = pino({ level: 'silent' });
const deps = (lookup: () => Promise<Found>): AdmissionDeps => ({
  settings: { maxOutputBytesCeiling: 1 << 30, virtualClusterWaitSeconds: 600 },
  lookup,
  log,
});
const kind = { group: 'hpc.scailfin.io', version: 'v1alpha1', kind: 'HPCJob' };
const missing = () => Promise.resolve<Found>({ state: 'missing' });

describe('admit', () => {
  it('denies with the problems (422 Invalid), joined, and allows with warnings', async () => {
    const bad = makeHPCJob().spec({ requirements: '(x' }).obj();
    expect(
      await admit('HPCJob', { uid: 'u1', kind, operation: 'CREATE', object: bad }, deps(missing)),
    ).toEqual({
      uid: 'u1',
      allowed: false,
      status: {
        code: 422,
        reason: 'Invalid',
        message:
          'spec.requirements: HTCondor cannot parse it: expected an operator or ")" at column 3, found the end of the expression',
      },
    });
    const onVc = makeHPCJob().virtualCluster('vc-1').obj();
    expect(
      await admit('HPCJob', { uid: 'u2', kind, operation: 'CREATE', object: onVc }, deps(missing)),
    ).toEqual({
      uid: 'u2',
      allowed: true,
      warnings: [expect.stringMatching(/^spec.virtualClusterRef: VirtualCluster "vc-1" does not exist/)],
    });
  });

  it('lets deletes through unread, and a lookup that fails or hangs (past LOOKUP_BUDGET_MS) costs only its warning', async () => {
    const bad = makeHPCJob().spec({ requirements: '(x' }).obj();
    expect(
      await admit('HPCJob', { uid: 'd', kind, operation: 'DELETE', oldObject: bad }, deps(missing)),
    ).toEqual({
      uid: 'd',
      allowed: true,
    });
    const onVc = makeHPCJob().virtualCluster('vc-1').obj();
    const failing = deps(() => Promise.reject(new Error('API down')));
    expect(await admit('HPCJob', { uid: 'f', kind, operation: 'CREATE', object: onVc }, failing)).toEqual({
      uid: 'f',
      allowed: true,
    });
    const hanging = deps(() => new Promise<Found>(() => undefined));
    expect(await admit('HPCJob', { uid: 'h', kind, operation: 'CREATE', object: onVc }, hanging)).toEqual({
      uid: 'h',
      allowed: true,
    });
  });
});

describe('admit, for an HPCJobSet', () => {
  const setKind = { ...kind, kind: 'HPCJobSet' };

  it('denies with the field under spec.template, and gives its own warnings before those of the lookups', async () => {
    const bad = makeHPCJobSet().template({ requirements: '(x' }).obj();
    const denied = await admit(
      'HPCJobSet',
      { uid: 's1', kind: setKind, operation: 'CREATE', object: bad },
      deps(missing),
    );
    expect(denied.status?.message).toMatch(/^spec\.template\.requirements: HTCondor cannot parse it/);
    const items = Array.from({ length: 1000 }, () => ({ path: 'x'.repeat(1024) }));
    const big = makeHPCJobSet()
      .items(items)
      .template({ virtualClusterRef: { name: 'vc-1' } })
      .obj();
    const warned = await admit(
      'HPCJobSet',
      { uid: 's2', kind: setKind, operation: 'CREATE', object: big },
      deps(missing),
    );
    expect(warned).toEqual({
      uid: 's2',
      allowed: true,
      warnings: [
        expect.stringMatching(/^spec: the set is \d+ bytes/),
        expect.stringMatching(/^spec\.template\.virtualClusterRef: VirtualCluster "vc-1" does not exist/),
      ],
    });
    // An HPCJob sent to the set's path is not judged as a set.
    expect(
      await admit('HPCJobSet', { uid: 's3', kind, operation: 'CREATE', object: bad }, deps(missing)),
    ).toEqual({ uid: 's3', allowed: true, warnings: ['not a HPCJobSet: not reviewed'] });
  });
});

describe('admissionHandler', () => {
  async function post(body: string, method = 'POST'): Promise<{ status: number; body: string }> {
    const server = createServer(admissionHandler('HPCJob', deps(missing)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      return await new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method, path: '/validate-hpcjob' }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    } finally {
      server.close();
    }
  }

  it('answers an AdmissionReview with one carrying the request uid', async () => {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'abc',
        kind,
        operation: 'CREATE',
        object: makeHPCJob().spec({ requirements: 'x =' }).obj(),
      },
    };
    const r = await post(JSON.stringify(review));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: 'abc',
        allowed: false,
        status: {
          code: 422,
          reason: 'Invalid',
          message: expect.stringContaining('"=" at column 3 assigns a value'),
        },
      },
    });
  });

  it('refuses what is not a review', async () => {
    expect((await post('{', 'POST')).status).toBe(400);
    expect((await post('{}', 'POST')).status).toBe(400);
    expect((await post('', 'GET')).status).toBe(405);
  });
});
