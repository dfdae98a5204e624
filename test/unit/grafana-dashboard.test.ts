/**
 * charts/hpc-operator/files/grafana-dashboard.json: a dashboard Grafana can import (schemaVersion, a
 * Prometheus data source variable, unique ids, panels that do not overlap) whose PromQL names only metrics the operator exports.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportedSeriesNames, metricNamesIn } from './promql.js';

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  definition?: string;
}
interface Dashboard {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(
  readFileSync(
    join(
      dirname(fileURLToPath(import.meta.url)),
      '..',
      '..',
      'charts/hpc-operator/files/grafana-dashboard.json',
    ),
    'utf8',
  ),
) as Dashboard;

const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const exprs = allPanels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
);
const variableQueries = dashboard.templating.list
  .filter((v) => v.type === 'query')
  .map((v) => ({
    panel: `variable ${v.name}`,
    expr: typeof v.query === 'string' ? v.query : (v.query?.query ?? ''),
  }));

describe('charts/hpc-operator/files/grafana-dashboard.json', () => {
  it('is a current dashboard with a Prometheus data source variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
  });

  it('queries every panel through the data source variable', () => {
    for (const p of allPanels.filter((p) => p.targets)) {
      expect({ panel: p.title, ds: p.datasource }).toEqual({
        panel: p.title,
        ds: { type: 'prometheus', uid: '${datasource}' },
      });
      for (const t of p.targets!) expect(t.datasource?.uid).toBe('${datasource}');
    }
  });

  it('has unique panel ids and no overlapping panels', () => {
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, string>();
    const overlaps: string[] = [];
    for (const p of allPanels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          const other = cells.get(`${i},${j}`);
          if (other) overlaps.push(`${p.title} overlaps ${other}`);
          cells.set(`${i},${j}`, p.title);
        }
    }
    expect([...new Set(overlaps)]).toEqual([]);
  });

  it('names only metrics the operator exports', () => {
    const exported = exportedSeriesNames();
    expect(exprs.length).toBeGreaterThan(20);
    for (const { panel, expr } of [...exprs, ...variableQueries]) {
      const names = metricNamesIn(expr);
      expect({ panel, expr, names: names.length }).not.toEqual({ panel, expr, names: 0 });
      for (const name of names)
        expect({ panel, name, known: exported.has(name) }).toEqual({ panel, name, known: true });
    }
  });

  it('covers reconciles, the work queue, HPCJob phases, HPCJobSet indices, condor commands, submit batches and kube writes', () => {
    const used = new Set(exprs.flatMap(({ expr }) => metricNamesIn(expr)));
    for (const name of [
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_errors_total',
      'controller_runtime_reconcile_time_seconds_bucket',
      'workqueue_depth',
      'hpc_hpcjobs',
      'hpc_hpcjobset_indices',
      'hpc_condor_command_duration_seconds_count',
      'hpc_condor_command_duration_seconds_bucket',
      'hpc_condor_submit_batch_jobs_bucket',
      'hpc_kube_writes_total',
    ])
      expect(used).toContain(name);
    // Rates and durations are split by command and purpose.
    const condor = exprs.filter(({ expr }) => expr.includes('hpc_condor_command_duration_seconds'));
    expect(condor.some(({ expr }) => /by \(command, purpose\)/.test(expr))).toBe(true);
    expect(condor.some(({ expr }) => /by \(le, command, purpose\)/.test(expr))).toBe(true);
  });
});
