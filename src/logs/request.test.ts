import { parseLogRequest } from './request.js';

const path = '/logs/v1/namespaces/team-a/hpcjobs/fit.step-1';

describe('parseLogRequest', () => {
  it('reads the HPCJob, stream, attempt and follow, with their defaults', () => {
    expect(parseLogRequest('GET', path)).toEqual({
      query: {
        resource: 'hpcjobs',
        namespace: 'team-a',
        name: 'fit.step-1',
        stream: 'stdout',
        follow: false,
      },
    });
    expect(parseLogRequest('GET', `${path}?stream=stderr&attempt=2&follow=true`)).toEqual({
      query: {
        resource: 'hpcjobs',
        namespace: 'team-a',
        name: 'fit.step-1',
        stream: 'stderr',
        attempt: 2,
        follow: true,
      },
    });
  });

  it('refuses what is not a log request, naming the problem', () => {
    expect(parseLogRequest('POST', path)).toEqual({
      status: 405,
      message: 'method POST not allowed: use GET',
    });
    expect(parseLogRequest('GET', '/logs/v1/namespaces/a/pods/b')).toMatchObject({ status: 404 });
    expect(parseLogRequest('GET', '/logs/v1/namespaces/A_B/hpcjobs/x')).toEqual({
      status: 400,
      message: '"A_B" is not a namespace name',
    });
    expect(parseLogRequest('GET', '/logs/v1/namespaces/a/hpcjobs/..%2F..%2Fetc')).toEqual({
      status: 400,
      message: '"../../etc" is not an HPCJob name',
    });
    expect(parseLogRequest('GET', '/logs/v1/namespaces/a/hpcjobs/%zz')).toMatchObject({ status: 400 });
    expect(parseLogRequest('GET', `${path}?stream=both`)).toEqual({
      status: 400,
      message: 'stream must be stdout or stderr, got "both"',
    });
    expect(parseLogRequest('GET', `${path}?attempt=0`)).toMatchObject({ status: 400 });
    expect(parseLogRequest('GET', `${path}?attempt=1e3`)).toMatchObject({ status: 400 });
    expect(parseLogRequest('GET', `${path}?follow=yes`)).toEqual({
      status: 400,
      message: 'follow must be true or false, got "yes"',
    });
  });

  it("reads an HPCJobSet's index, which it needs, and refuses an attempt for a set", () => {
    const set = '/logs/v1/namespaces/team-a/hpcjobsets/sweep';
    expect(parseLogRequest('GET', `${set}?index=0&stream=stderr`)).toEqual({
      query: {
        resource: 'hpcjobsets',
        namespace: 'team-a',
        name: 'sweep',
        index: 0,
        stream: 'stderr',
        follow: false,
      },
    });
    expect(parseLogRequest('GET', set)).toEqual({
      status: 400,
      message: 'an HPCJobSet log needs index=I (from 0)',
    });
    expect(parseLogRequest('GET', `${set}?index=-1`)).toEqual({
      status: 400,
      message: 'index must be a non-negative integer, got "-1"',
    });
    expect(parseLogRequest('GET', `${set}?index=2&attempt=1`)).toMatchObject({ status: 400 });
    expect(parseLogRequest('GET', '/logs/v1/namespaces/a/hpcjobsets/A_B?index=1')).toEqual({
      status: 400,
      message: '"A_B" is not an HPCJobSet name',
    });
  });
});
