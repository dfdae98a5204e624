/**
 * charts/hpc-operator/files/prometheus-rules.yaml: every expression names only metrics the operator exports,
 * and docs/metrics.md's alert table lists exactly these rules (expression, for, severity). What the rules do
 * is tested by promtool (test/prometheus/alerts.test.yaml, make test-rules).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../support/stack/stack.js';
import { exportedSeriesNames, metricNamesIn } from './promql.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
}
const file = parse(readFileSync(join(REPO, 'charts/hpc-operator/files/prometheus-rules.yaml'), 'utf8')) as {
  groups: { name: string; rules: Rule[] }[];
};
const rules = file.groups.flatMap((g) => g.rules);

/** The rows of the table under "## Alerts": alert, expression, for, severity. */
function documented(): string[][] {
  const doc = readFileSync(join(REPO, 'docs/metrics.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Alerts'));
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `HPC'))
    .map((l) =>
      l
        .split('|')
        .slice(1, 5)
        .map((c) => c.trim().replace(/^`([^`]*)`.*$/, '$1')),
    );
}

describe('the alert rules', () => {
  it('name only metrics the operator exports', () => {
    const exported = exportedSeriesNames();
    expect(rules.length).toBe(5);
    for (const r of rules) {
      const names = metricNamesIn(r.expr);
      expect({ alert: r.alert, names: names.length > 0 }).toEqual({ alert: r.alert, names: true });
      for (const name of names) expect({ name, known: exported.has(name) }).toEqual({ name, known: true });
    }
  });

  it('are the ones docs/metrics.md lists', () => {
    expect(documented()).toEqual(rules.map((r) => [r.alert, r.expr, r.for ?? '', r.labels.severity]));
  });
});
