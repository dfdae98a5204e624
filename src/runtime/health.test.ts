import { describe, expect, it } from '@jest/globals';
import { Probes, SharedCall } from './health.js';

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

describe('SharedCall', () => {
  it('makes one call for probes that come while it is on its way, and no other within everyMs', async () => {
    let now = 0;
    let calls = 0;
    let answer: () => void = () => undefined;
    const shared = new SharedCall(
      () => {
        calls++;
        return new Promise<void>((r) => (answer = r));
      },
      10_000,
      () => now,
    );
    const waiting = [shared.error(), shared.error(), shared.error()];
    expect(calls).toBe(1);
    answer();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined, undefined]);
    now = 10_000;
    await shared.error();
    expect(calls).toBe(1);
    now = 10_001;
    const again = shared.error();
    answer();
    await again;
    expect(calls).toBe(2);
  });

  it("keeps a failed call's error until the next answer", async () => {
    let now = 0;
    let fail = true;
    const shared = new SharedCall(
      () => (fail ? Promise.reject(new Error('Failed to connect to queue manager')) : Promise.resolve()),
      10_000,
      () => now,
    );
    expect(await shared.error()).toBe('Failed to connect to queue manager');
    fail = false;
    expect(await shared.error()).toBe('Failed to connect to queue manager');
    now = 20_000;
    expect(await shared.error()).toBeUndefined();
  });
});
