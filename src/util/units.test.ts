import { describe, expect, it } from '@jest/globals';
import { durationMs, mibQuantity, quantityBytes, quantityKiB, quantityMiB } from './units.js';

describe('quantities', () => {
  it('reads binary and decimal suffixes and rounds up', () => {
    expect(quantityBytes('1Ki')).toBe(1024);
    expect(quantityBytes('2G')).toBe(2e9);
    expect(quantityBytes(1000)).toBe(1000);
    expect(quantityMiB('1Gi')).toBe(1024);
    expect(quantityMiB('1.5Gi')).toBe(1536);
    expect(quantityMiB('1G')).toBe(954);
    expect(quantityMiB('1')).toBe(1);
    expect(quantityKiB('10Mi')).toBe(10240);
    expect(mibQuantity(2048)).toBe('2Gi');
    expect(mibQuantity(1536)).toBe('1536Mi');
  });

  it('refuses what is not a quantity', () => {
    expect(() => quantityBytes('lots')).toThrow(/invalid quantity/);
    expect(() => quantityBytes('-1Gi')).toThrow(/invalid quantity/);
  });
});

describe('durations', () => {
  it('adds up units', () => {
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('1d')).toBe(86_400_000);
    expect(durationMs('250ms')).toBe(250);
  });

  it('refuses junk', () => {
    expect(() => durationMs('soon')).toThrow();
    expect(() => durationMs('5m then')).toThrow();
  });
});
