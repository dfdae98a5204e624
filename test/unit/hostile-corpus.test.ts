/**
 * The hostile-input corpus itself (test/fixtures/hostile): the committed file is what corpus.ts builds from
 * the current schemas, every string field of both schemas has its line-injection cases, and the categories
 * the corpus promises are there. test/e2e/hostile.e2e.test.ts checks each case against the API server.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import {
  CORPUS_FILE,
  INJECTED_LINES,
  SCHEMAS,
  buildCorpus,
  corpusText,
  loadCorpus,
  stringFields,
  type HostileCase,
  type Kind,
} from '../fixtures/hostile/corpus.js';

const corpus = loadCorpus();
const KINDS: Kind[] = ['HPCJob', 'VirtualCluster'];

/** The value at a spec path such as spec.a[0].b. */
function valueAt(spec: unknown, display: string): unknown {
  const parts = display
    .replace(/^spec\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '');
  return parts.reduce<unknown>((cur, p) => (cur as Record<string, unknown> | undefined)?.[p], spec);
}

/** Every string in a spec. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

describe('the hostile corpus', () => {
  it('is what corpus.ts builds from the schemas (regenerate with tsx test/fixtures/hostile/generate.ts)', () => {
    expect(readFileSync(CORPUS_FILE, 'utf8')).toBe(corpusText(buildCorpus()));
  });

  it.each(KINDS)('injects every line into every string field of the %s schema', (kind) => {
    const fields = stringFields(SCHEMAS[kind]);
    // A schema without string fields would make this test vacuous.
    expect(fields.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const f of fields) {
      for (const line of Object.values(INJECTED_LINES[kind])) {
        const hit = corpus.find(
          (c) =>
            c.kind === kind &&
            c.category === 'line-injection' &&
            c.field === f.display &&
            String(valueAt(c.spec, f.display)).endsWith(`\n${line}`),
        );
        if (!hit) missing.push(`${f.display} <- ${JSON.stringify(line)}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has at least 200 cases with unique names, for both kinds and every category', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
    const count = (p: (c: HostileCase) => boolean) => corpus.filter(p).length;
    for (const kind of KINDS) {
      for (const category of [
        'baseline',
        'line-injection',
        'shell-metachar',
        'path-traversal',
        'size',
        'unicode',
      ])
        expect([kind, category, count((c) => c.kind === kind && c.category === category) > 0]).toEqual([
          kind,
          category,
          true,
        ]);
      // Both verdicts occur for each kind: the corpus is not all rejections.
      expect(count((c) => c.kind === kind && c.expect.outcome === 'inert')).toBeGreaterThan(20);
      expect(count((c) => c.kind === kind && c.expect.outcome === 'rejected')).toBeGreaterThan(20);
    }
  });

  it('puts shell metacharacters, traversals and unicode where the brief asks', () => {
    const fieldsOf = (category: string) =>
      new Set(corpus.filter((c) => c.category === category).map((c) => c.field));
    const sh = fieldsOf('shell-metachar');
    for (const f of [
      'spec.args[1]',
      'spec.env[0].value',
      'spec.allocations[0].setup',
      'spec.allocations[0].account',
      'spec.allocations[0].queue',
    ])
      expect([f, sh.has(f)]).toEqual([f, true]);
    const paths = fieldsOf('path-traversal');
    for (const f of ['spec.workspace.path', 'spec.workspace.outputs[0]', 'spec.workspace.inputs[0]'])
      expect([f, paths.has(f)]).toEqual([f, true]);
    const uni = corpus.filter((c) => c.category === 'unicode').flatMap((c) => strings(c.spec));
    for (const ch of ['\u202e', '\u0000', '🦀', '\u0301', '\u2028'])
      expect([ch, uni.some((s) => s.includes(ch))]).toEqual([ch, true]);
    // A 10 MB string and a string past maxLength, for both kinds.
    for (const kind of KINDS) {
      expect(
        corpus.some(
          (c) => c.kind === kind && c.expect.outcome === 'rejected' && c.expect.by === 'apiserver-limit',
        ),
      ).toBe(true);
      expect(
        corpus.some(
          (c) =>
            c.kind === kind &&
            c.expect.outcome === 'rejected' &&
            c.expect.by === 'apiserver' &&
            c.expect.message === 'Too long',
        ),
      ).toBe(true);
    }
  });
});
