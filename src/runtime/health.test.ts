import { describe, expect, it } from '@jest/globals';
import { Probes } from './health.js';

describe('Probes', () => {
  it("shows a passing check's note and a failing check's reason, in order", async () => {
    const p = new Probes();
    p.addReadyzCheck('informers', () => undefined);
    p.addReadyzCheck('leader', () => 'standby: waiting for leadership, the Lease ns/l is held by a');
    expect(await p.evaluate('readyz')).toEqual({
      ok: true,
      text: '[+]informers ok\n[+]leader ok: standby: waiting for leadership, the Lease ns/l is held by a\nreadyz check passed\n',
    });
    p.addReadyzCheck('schedd', () => Promise.reject(new Error('no answer')));
    const r = await p.evaluate('readyz');
    expect(r.ok).toBe(false);
    expect(r.text).toContain('[-]schedd failed: no answer\nreadyz check failed');
    expect((await p.evaluate('readyz', 'leader')).ok).toBe(true);
  });
});
