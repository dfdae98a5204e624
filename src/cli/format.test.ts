import { describe, expect, it } from '@jest/globals';
import {
  age,
  between,
  humanDuration,
  labelled,
  oneLine,
  render,
  shortTime,
  table,
  timeWithAge,
} from './format.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration', () => {
  // The cases of k8s.io/apimachinery's HumanDuration, which kubectl's AGE column uses.
  it.each([
    [0, '0s'],
    [-5 * S, '0s'],
    [59 * S, '59s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 10 * S, '3m10s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [5 * H + 3 * M, '5h3m'],
    [8 * H, '8h'],
    [47 * H, '47h'],
    [48 * H, '2d'],
    [3 * D + 4 * H, '3d4h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [2 * 365 * D + 3 * D, '2y3d'],
    [9 * 365 * D, '9y'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('times', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');

  it('gives ages, spans and short times, and nothing for missing or bad input', () => {
    expect(age('2025-03-01T11:58:30Z', now)).toBe('90s');
    expect(age('2025-03-01T11:57:30Z', now)).toBe('2m30s');
    expect(age(undefined, now)).toBe('');
    expect(age('yesterday', now)).toBe('');
    expect(between('2025-03-01T11:00:00Z', '2025-03-01T11:04:05Z')).toBe('4m5s');
    expect(between('2025-03-01T11:00:00Z', undefined)).toBe('');
    expect(shortTime('2025-03-01T11:00:00.123Z')).toBe('2025-03-01T11:00:00Z');
    expect(timeWithAge('2025-03-01T11:59:00Z', now)).toBe('2025-03-01T11:59:00Z (60s ago)');
    expect(timeWithAge('2025-03-01T12:00:20Z', now)).toBe('2025-03-01T12:00:20Z (in 20s)');
  });
});

describe('table', () => {
  it('aligns columns three spaces apart and trims trailing blanks', () => {
    const out = table(
      ['NAME', 'PHASE', 'JOB'],
      [
        ['ok', 'Succeeded', '12.0'],
        ['a-longer-name', 'Pending', ''],
      ],
    );
    expect(out).toBe(
      'NAME            PHASE       JOB\n' +
        'ok              Succeeded   12.0\n' +
        'a-longer-name   Pending\n',
    );
  });
});

describe('text', () => {
  it('flattens and cuts messages for table cells', () => {
    expect(oneLine('attempt 1 failed;\nstderr:\n  boom', 80)).toBe('attempt 1 failed; stderr: boom');
    expect(oneLine('x'.repeat(100), 10)).toBe('xxxxxxxxx…');
    expect(oneLine(undefined)).toBe('');
  });

  it('wraps labelled text under its label', () => {
    const out = labelled('Meaning', 'one two three four five six', 10, 24);
    expect(out).toBe('Meaning:  one two three\n          four five six\n');
    // A label as long as the column still gets a space.
    expect(labelled('What to do', 'x', 10)).toBe('What to do: x\n');
  });

  it('renders JSON and YAML', () => {
    expect(render({ a: 1 }, 'json')).toBe('{\n  "a": 1\n}\n');
    expect(render({ a: [1] }, 'yaml')).toBe('a:\n  - 1\n');
  });
});
