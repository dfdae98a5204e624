import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { apiError, retryAfterMs } from './kube.js';

const api = (code: number, body: unknown, headers: Record<string, string> = {}) =>
  new k8s.ApiException<unknown>(code, 'x', body, headers);

describe('API errors', () => {
  it('retries what the API server asks to be retried, like client-go', () => {
    // What a CRD's storage answers while it is being replaced.
    expect(retryAfterMs(api(429, { message: 'storage is (re)initializing' }, { 'retry-after': '1' }))).toBe(
      1000,
    );
    expect(retryAfterMs(api(429, {}))).toBe(1000);
    expect(retryAfterMs(api(503, {}, { 'retry-after': '30' }))).toBe(10_000);
    expect(retryAfterMs(api(503, {}))).toBeUndefined();
    expect(retryAfterMs(api(404, {}, { 'retry-after': '1' }))).toBeUndefined();
    expect(retryAfterMs(new Error('boom'))).toBeUndefined();
  });

  it('says in one line what went wrong', () => {
    const notFound = api(404, JSON.stringify({ message: 'hpcjobs.hpc.scailfin.io "x" not found' }));
    expect(apiError(notFound, 'hpcjob x in namespace ns').message).toBe('hpcjob x in namespace ns not found');
    const noCrd = api(404, { message: 'the server could not find the requested resource' });
    expect(apiError(noCrd, 'hpcjobs').message).toMatch(
      /^the HPCJob and VirtualCluster CRDs are not installed/,
    );
    expect(apiError(api(403, { message: 'forbidden: User "u"' }), 'hpcjobs').message).toBe(
      'not allowed to read or change hpcjobs: forbidden: User "u"',
    );
    expect(apiError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'hpcjobs').message).toMatch(
      /^cannot reach the Kubernetes API server \(ECONNREFUSED\)/,
    );
  });
});
