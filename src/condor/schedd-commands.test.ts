import { describe, expect, it } from '@jest/globals';
import { submitTimeoutMs } from './schedd-commands.js';

describe('submitTimeoutMs', () => {
  it('gives a condor_submit two minutes, and a large cluster more in proportion', () => {
    expect(submitTimeoutMs(1)).toBe(120_000);
    expect(submitTimeoutMs(500)).toBe(120_000);
    expect(submitTimeoutMs(100_000)).toBe(1_000_000);
  });
});
