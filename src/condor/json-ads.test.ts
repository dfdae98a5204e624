import { describe, expect, it } from '@jest/globals';
import { CondorError } from './errors.js';
import { JsonAdStream } from './json-ads.js';
import type { JobAd } from './parse.js';

/** Feeds `chunks` as stdout arrives and returns the ads seen, or the error the stream ended with. */
function feed(chunks: readonly string[]): JobAd[] {
  const ads: JobAd[] = [];
  const stream = new JsonAdStream('condor_q', (ad) => ads.push(ad));
  for (const c of chunks) stream.write(c);
  stream.end();
  return ads;
}

/** What condor_q -json printed for two jobs (attributes sorted, a `,` line between ads). */
const TWO =
  '[\n{\n  "ClusterId": 1,\n  "HPCJobRef": "hpcjobset:ns/a{b}",\n  "ProcId": 0\n}\n,\n{\n  "ClusterId": 1,\n  "ProcId": 1\n}\n]\n';

describe('JsonAdStream (condor_q / condor_history -json, ad by ad)', () => {
  it('empty output (nothing matched: condor_q prints nothing) is no ads', () => {
    expect(feed([])).toEqual([]);
    expect(feed([''])).toEqual([]);
    expect(feed(['\n'])).toEqual([]);
    expect(feed(['[\n', ']\n'])).toEqual([]);
  });

  it('reads each ad of the array, braces inside strings included', () => {
    expect(feed([TWO])).toEqual([
      { ClusterId: 1, HPCJobRef: 'hpcjobset:ns/a{b}', ProcId: 0 },
      { ClusterId: 1, ProcId: 1 },
    ]);
  });

  it('reads an ad split across stdout chunks anywhere (in a string, an escape, a number)', () => {
    const text = '[{"A": "x\\"}{", "B": [1, {"C": null}], "D": 12345}\n,\n{"E": "\\u00e9"}]';
    const whole = feed([text]);
    expect(whole).toEqual([{ A: 'x"}{', B: [1, { C: null }], D: 12345 }, { E: 'é' }]);
    for (let cut = 1; cut < text.length; cut++)
      expect(feed([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    expect(feed(text.split(''))).toEqual(whole);
  });

  it('hands each ad over as soon as it is complete (the array is never held)', () => {
    const seen: number[] = [];
    const stream = new JsonAdStream('condor_q', (ad) => seen.push(ad.ProcId as number));
    stream.write('[\n{"ProcId": 0}\n,\n{"Pro');
    expect(seen).toEqual([0]);
    stream.write('cId": 1}\n]\n');
    expect(seen).toEqual([0, 1]);
    stream.end();
  });

  it('a malformed ad is a CondorError naming the tool and the ad', () => {
    const bad = () => feed(['[\n{"ClusterId": 1, "ProcId": }\n]\n']);
    expect(bad).toThrow(CondorError);
    expect(bad).toThrow(/condor_q printed an ad that is not JSON \(ad 1\)/);
  });

  it('output that is not a JSON array of ads is a CondorError', () => {
    for (const text of ['{"a": 1}', 'Error: something', '[1, 2]', '[{"a": 1}] x', '[{"a": 1},,{"b": 2}]']) {
      expect(() => feed([text])).toThrow(CondorError);
    }
    expect(() => feed(['{"a": 1}'])).toThrow(/not a JSON array/);
  });

  it('output cut short (the tool died mid-ad) is a CondorError', () => {
    expect(() => feed(['[\n{"ClusterId": 1'])).toThrow(/ended in the middle/);
    expect(() => feed(['[\n{"ClusterId": 1}\n'])).toThrow(/ended in the middle/);
  });
});
