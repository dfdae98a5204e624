/**
 * Metric names referenced by a PromQL expression, for tests that keep docs and dashboards in step with the
 * registry. Not a parser: it drops strings, label matchers, ranges, label lists of by/without/on/ignoring/
 * group_*, the label of Grafana's label_values(metric, label), Grafana variables and numbers; every
 * identifier left that is not a function, an aggregation or a keyword is taken for a metric name, so a typo
 * shows up as an unknown name.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { registerMetrics } from '../../src/operator-metrics.js';

const FUNCTIONS_AND_KEYWORDS = new Set(
  [
    // aggregations
    'sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio',
    // functions
    'abs absent absent_over_time ceil changes clamp clamp_max clamp_min day_of_month day_of_week day_of_year',
    'days_in_month delta deriv exp floor histogram_avg histogram_count histogram_fraction histogram_quantile',
    'histogram_stddev histogram_stdvar histogram_sum holt_winters hour idelta increase irate label_join',
    'label_replace ln log2 log10 minute month predict_linear rate resets round scalar sgn sort sort_desc sqrt',
    'time timestamp vector year avg_over_time min_over_time max_over_time sum_over_time count_over_time',
    'quantile_over_time stddev_over_time stdvar_over_time last_over_time present_over_time',
    // keywords and set operators
    'by without on ignoring group_left group_right bool and or unless offset inf nan',
  ]
    .join(' ')
    .split(' '),
);

export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    // Grafana's label_values(metric, label): the label is not a metric.
    .replace(/label_values\(([^,]*),\s*\w+\s*\)/g, '$1')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+(:\w+)?\}?/g, ' ')
    .replace(/\b\d+(\.\d+)?([eE][+-]?\d+)?[smhdwy]?\b/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    if (!FUNCTIONS_AND_KEYWORDS.has(m[0].toLowerCase())) names.add(m[0]);
  }
  return [...names];
}

/** Every metric the operator process exports: a replica's, and prom-client's defaults (src/manager.ts). */
function allMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerMetrics(registry);
  return registry.getMetricsAsArray();
}

/** Every series name the operator exports: its own and prom-client's defaults, histograms expanded. */
export function exportedSeriesNames(): Set<string> {
  const names = new Set<string>();
  for (const m of allMetrics()) {
    const { name, type } = m as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}
