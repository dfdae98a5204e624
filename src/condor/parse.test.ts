import { describe, expect, it } from '@jest/globals';
import {
  adBool,
  adNumber,
  adString,
  jobIdsOf,
  parseJsonAds,
  parseJsonLines,
  parseSubmitTerse,
} from './parse.js';

describe('parseSubmitTerse', () => {
  it('reads one range per cluster', () => {
    expect(parseSubmitTerse('12.0 - 12.2\n13.0 - 13.0\n')).toEqual([
      { clusterId: 12, firstProc: 0, lastProc: 2 },
      { clusterId: 13, firstProc: 0, lastProc: 0 },
    ]);
    expect(jobIdsOf(parseSubmitTerse('7.0 - 7.1\n'))).toEqual(['7.0', '7.1']);
  });

  it('refuses output it does not understand instead of guessing', () => {
    expect(() => parseSubmitTerse('Submitting job(s).\n1 job(s) submitted to cluster 3.\n')).toThrow(
      /unexpected/,
    );
    expect(() => parseSubmitTerse('3.0 - 4.0\n')).toThrow(/spans clusters/);
  });

  it('reads empty output as nothing submitted', () => {
    expect(parseSubmitTerse('')).toEqual([]);
  });
});

describe('parseJsonAds', () => {
  it('reads no output (no match) and an empty [ ] as an empty list', () => {
    expect(parseJsonAds('')).toEqual([]);
    expect(parseJsonAds('\n')).toEqual([]);
    expect(parseJsonAds('[\n]\n')).toEqual([]);
  });

  it('reads ads with null for undefined attributes', () => {
    const ads = parseJsonAds(
      '[\n{\n  "ClusterId": 1,\n  "HoldReasonCode": null,\n  "JobStatus": 4\n}\n,\n{\n  "ClusterId": 2\n}\n]\n',
    );
    expect(ads).toHaveLength(2);
    expect(adNumber(ads[0]!, 'HoldReasonCode')).toBeUndefined();
    expect(adNumber(ads[0]!, 'JobStatus')).toBe(4);
    expect(adNumber(ads[1]!, 'JobStatus')).toBeUndefined();
  });

  it('does not take an unevaluated expression for a value', () => {
    const [ad] = parseJsonAds('[{"A": "\\/Expr(MY.X + 1)\\/", "B": "text", "C": true}]');
    expect(adString(ad!, 'A')).toBeUndefined();
    expect(adString(ad!, 'B')).toBe('text');
    expect(adBool(ad!, 'C')).toBe(true);
  });

  it('fails loudly on output that is not a JSON array', () => {
    expect(() => parseJsonAds('{"a": 1}')).toThrow(/not a JSON array/);
    expect(() => parseJsonAds('Error: something')).toThrow();
  });
});

describe('parseJsonLines', () => {
  it('reads one ad per line', () => {
    expect(parseJsonLines('{"ClusterId": 1}\n\n{"ClusterId": 2}\n')).toEqual([
      { ClusterId: 1 },
      { ClusterId: 2 },
    ]);
  });
});
