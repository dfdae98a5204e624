/**
 * docs/metrics.md against the registry in src/runtime/metrics.ts: the table lists every metric the operator
 * registers (name, type, labels) and nothing else, and every query on the page names metrics that exist.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { registerMetrics } from '../../src/operator-metrics.js';
import { exportedSeriesNames, metricNamesIn } from './promql.js';

const doc = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'metrics.md'),
  'utf8',
);

/** Every metric an operator replica registers. */
function allMetrics() {
  const registry = new Registry();
  registerMetrics(registry);
  return registry.getMetricsAsArray();
}

interface Row {
  name: string;
  type: string;
  labels: string[];
}

/** The rows of the table headed `| Metric | Type | Labels | Meaning |`. */
function documented(): Row[] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => /^\| Metric \| Type \| Labels \| Meaning \|/.test(l));
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [name, type, labels] = line
      .split(/(?<!\\)\|/)
      .slice(1, 4)
      .map((c) => c.trim());
    rows.push({
      name: name!.replace(/`/g, ''),
      type: type!,
      labels: [...labels!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort(),
    });
  }
  return rows;
}

function registered(): Row[] {
  return allMetrics().map((m) => {
    const metric = m as unknown as { name: string; type: string; labelNames?: readonly string[] };
    return { name: metric.name, type: metric.type, labels: [...(metric.labelNames ?? [])].sort() };
  });
}

describe('docs/metrics.md', () => {
  it('lists every registered metric with its type and labels, and nothing else', () => {
    const byName = (a: Row, b: Row) => a.name.localeCompare(b.name);
    expect(documented().sort(byName)).toEqual(registered().sort(byName));
  });

  it('lists them in the order of the registry', () => {
    expect(documented().map((r) => r.name)).toEqual(registered().map((r) => r.name));
  });

  it('uses only exported metric names in its queries', () => {
    const exported = exportedSeriesNames();
    const queries = doc.slice(doc.indexOf('## Useful queries'));
    const spans = [...queries.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((s) => /[a-z]_[a-z]/.test(s));
    expect(spans.length).toBeGreaterThan(5);
    for (const expr of spans) {
      for (const name of metricNamesIn(expr))
        expect({ expr, name, known: exported.has(name) }).toEqual({ expr, name, known: true });
    }
  });
});
