import { CachedClientCA, logAttributes } from './access.js';

describe('access', () => {
  it('asks about get on hpcjobs/log in the HPCJob namespace, as pods/log is asked for kubectl logs', () => {
    expect(logAttributes('ns', 'fit')).toEqual({
      namespace: 'ns',
      name: 'fit',
      verb: 'get',
      group: 'hpc.scailfin.io',
      resource: 'hpcjobs',
      subresource: 'log',
    });
  });

  it('reads the client CA once per period, shared by the requests that come meanwhile', async () => {
    let now = 0;
    let reads = 0;
    const ca = new CachedClientCA(
      () => Promise.resolve(`pem ${++reads}`),
      60_000,
      () => now,
    );
    expect(await Promise.all([ca.get(), ca.get()])).toEqual(['pem 1', 'pem 1']);
    now = 59_999;
    expect(await ca.get()).toBe('pem 1');
    now = 60_000;
    expect(await ca.get()).toBe('pem 2');
  });
});
