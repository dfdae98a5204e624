/**
 * `make docs`: writes docs/reference/{hpcjob,virtualcluster,hpcjobset}.md from the CRD schemas in src/crds — every
 * field with its type, default, validation (enum, bounds, pattern, lengths, CEL rules with their messages)
 * and description; phases, condition types, failure categories, annotations and printer columns.
 * `--check` exits non-zero when a committed file differs (src/crds/docs.test.ts does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allCRDs } from './crd.js';
import { hpcJobSetSpecSections, hpcJobSetStatusSections } from './docs-hpcjobset.js';
import {
  FAILURE_CATEGORY_TEXT,
  HPCJOB_ANNOTATIONS,
  HPCJOB_CONDITIONS,
  HPCJOB_PHASES,
  VC_CONDITIONS,
  VC_PHASE_TEXT,
} from './docs-meanings.js';
import { FAILURE_CATEGORIES, HPCJobAnnotations, HPCJobConditions, PHASES } from './hpcjob.js';
import type { JSONSchemaProps, ValidationRule } from './schema.js';
import { VC_PHASES, VirtualClusterConditions } from './virtualcluster.js';

const HEADER = '<!-- Generated from src/crds by `make docs` (src/crds/docs.ts). Do not edit. -->';

// ------------------------------------------------------------------------------------------ rendering

/**
 * Escapes text for a Markdown table cell: pipes everywhere, and angle brackets outside code spans (they
 * would read as HTML there; inside a code span an entity would show literally).
 */
function cell(s: string, table = true): string {
  const text = s
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('')
    .replace(/\n/g, ' ');
  return table ? text.replace(/\|/g, '\\|') : text;
}

/** A code span; in a table cell its pipes are escaped (GFM), elsewhere an escape would show. */
function code(s: string, table = true): string {
  const fence = s.includes('`') ? '``' : '`';
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${table ? s.replace(/\|/g, '\\|') : s}${pad}${fence}`;
}

function typeOf(s: JSONSchemaProps): string {
  if (s['x-kubernetes-int-or-string']) return 'quantity (int or string)';
  switch (s.type) {
    case 'array':
      return `array of ${s.items ? typeOf(s.items) : 'any'}`;
    case 'object':
      if (s.additionalProperties) return `map of ${typeOf(s.additionalProperties)}`;
      return s['x-kubernetes-preserve-unknown-fields'] ? 'object (free-form)' : 'object';
    case 'integer':
      return s.format ? `integer (${s.format})` : 'integer';
    case 'string':
      return s.format ? `string (${s.format})` : 'string';
    default:
      return s.type ?? 'any';
  }
}

function isImmutable(r: ValidationRule): boolean {
  return r.rule === 'self == oldSelf';
}

/** Rules of objects are long: they are listed under the table, not in it. */
function rulesBelow(s: JSONSchemaProps): boolean {
  return s.type === 'object';
}

function ruleText(r: ValidationRule, table = true): string {
  return `rule ${code(r.rule, table)}: “${cell(r.message, table)}”`;
}

/** The validation of one field, as short clauses. */
function validationOf(s: JSONSchemaProps, required: boolean): string[] {
  const v: string[] = [];
  if (required) v.push('**required**');
  if (s.enum) v.push(`one of ${s.enum.map((e) => code(String(e))).join(', ')}`);
  const min = s.minimum;
  const max = s.maximum;
  if (min !== undefined && max !== undefined) v.push(`${min} to ${max}`);
  else if (min !== undefined) v.push(s.exclusiveMinimum ? `> ${min}` : `≥ ${min}`);
  else if (max !== undefined) v.push(`≤ ${max}`);
  if (s.minLength !== undefined) v.push(`minLength ${s.minLength}`);
  if (s.maxLength !== undefined) v.push(`maxLength ${s.maxLength}`);
  if (s.pattern !== undefined) v.push(`pattern ${code(s.pattern)}`);
  if (s.minItems !== undefined) v.push(`minItems ${s.minItems}`);
  if (s.maxItems !== undefined) v.push(`maxItems ${s.maxItems}`);
  if (s.maxProperties !== undefined) v.push(`maxProperties ${s.maxProperties}`);
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') v.push('unique items');
  if (listType === 'map') v.push(`unique by ${(s['x-kubernetes-list-map-keys'] ?? []).join(', ')}`);
  const rules = s['x-kubernetes-validations'] ?? [];
  if (rules.some(isImmutable)) v.push('immutable');
  const other = rules.filter((r) => !isImmutable(r));
  if (other.length > 0 && rulesBelow(s)) v.push(`rules below`);
  else for (const r of other) v.push(ruleText(r));
  return v;
}

function defaultOf(s: JSONSchemaProps): string {
  if (s.default === undefined) return '';
  return code(typeof s.default === 'string' ? s.default : JSON.stringify(s.default));
}

interface Row {
  path: string;
  schema: JSONSchemaProps;
  required: boolean;
}

/**
 * Every field below `schema`, depth first, in schema order; `[]` marks array items, `{}` map values. A path
 * in `collapsed` is one row (an embedded schema documented on its own page: an HPCJobSet's template).
 */
function rows(schema: JSONSchemaProps, path: string, required: boolean, collapsed: string[] = []): Row[] {
  const out: Row[] = [{ path, schema, required }];
  if (collapsed.includes(path)) return out;
  for (const [name, prop] of Object.entries(schema.properties ?? {}))
    out.push(...rows(prop, `${path}.${name}`, schema.required?.includes(name) ?? false, collapsed));
  if (schema.items && (schema.items.type === 'object' || schema.items.type === 'array'))
    out.push(...rows(schema.items, `${path}[]`, false).slice(1));
  if (schema.additionalProperties) out.push(...rows(schema.additionalProperties, `${path}{}`, false));
  return out;
}

/** Scalar list items are described on the list's own row. */
function scalarItems(s: JSONSchemaProps): JSONSchemaProps | undefined {
  const items = s.items;
  return items && items.type !== 'object' && items.type !== 'array' ? items : undefined;
}

function describeRow(r: Row): string {
  const text = r.schema.description ?? '';
  const item = r.schema.items?.description;
  return cell(item ? `${text} Each item: ${item}` : text);
}

/** CEL rules (other than immutability) listed under the table: an object's own, or its list items'. */
function rulesUnder(r: Row): { path: string; rules: ValidationRule[] } | undefined {
  const own = (r.schema['x-kubernetes-validations'] ?? []).filter((x) => !isImmutable(x));
  if (r.schema.type === 'object' && own.length > 0) return { path: r.path, rules: own };
  const items = r.schema.items;
  const itemRules = (items?.['x-kubernetes-validations'] ?? []).filter((x) => !isImmutable(x));
  if (items?.type === 'object' && itemRules.length > 0) return { path: `${r.path}[]`, rules: itemRules };
  return undefined;
}

function validateRow(r: Row): string {
  const v = validationOf(r.schema, r.required);
  const items = scalarItems(r.schema);
  const iv = items ? validationOf(items, false) : [];
  if (iv.length > 0) v.push(`items: ${iv.join(', ')}`);
  const under = rulesUnder(r);
  if (under && under.path !== r.path) v.push('item rules below');
  return v.join('; ');
}

function fieldTable(
  schema: JSONSchemaProps,
  root: string,
  required: boolean,
  collapsed?: string[],
): string[] {
  const lines = ['| Field | Type | Default | Validation | Description |', '| --- | --- | --- | --- | --- |'];
  const below: string[] = [];
  for (const r of rows(schema, root, required, collapsed)) {
    // A collapsed row's rules are its own page's (the HPCJob spec's for a template).
    const v = collapsed?.includes(r.path)
      ? validateRow(r).replace('rules below', 'its own rules')
      : validateRow(r);
    lines.push(
      `| ${code(r.path)} | ${typeOf(r.schema)} | ${defaultOf(r.schema)} | ${v} | ${describeRow(r)} |`,
    );
    const under = collapsed?.includes(r.path) ? undefined : rulesUnder(r);
    if (under) {
      below.push(`- ${code(under.path, false)}:`);
      for (const x of under.rules) below.push(`  - ${ruleText(x, false)}`);
    }
  }
  if (below.length > 0) lines.push('', 'CEL rules on objects and list items:', '', ...below);
  return lines;
}

function termTable(head: [string, string], entries: [string, string][]): string[] {
  return [
    `| ${head[0]} | ${head[1]} |`,
    '| --- | --- |',
    ...entries.map(([k, v]) => `| ${code(k)} | ${cell(v)} |`),
  ];
}

type CRD = (typeof allCRDs)[number];

function renderCRD(crd: CRD, extra: { status: string[]; spec?: string[]; collapsed?: string[] }): string {
  const version = crd.spec.versions[0]!;
  const root = version.schema.openAPIV3Schema as JSONSchemaProps & {
    properties: { spec: JSONSchemaProps; status: JSONSchemaProps };
  };
  const names = crd.spec.names;
  const out: string[] = [HEADER, '', `# ${names.kind}`, ''];
  out.push(
    `\`${crd.spec.group}/${version.name}\`, kind \`${names.kind}\`, ${crd.spec.scope.toLowerCase()}; ` +
      `plural \`${names.plural}\`, short names ${names.shortNames.map((n) => `\`${n}\``).join(', ')}, ` +
      `category \`${names.categories.join(', ')}\`; status subresource.`,
    '',
    cell(root.description ?? '', false),
    '',
  );
  const rules = root['x-kubernetes-validations'] ?? [];
  if (rules.length > 0) {
    out.push('Rules on the whole object:', '');
    for (const r of rules) out.push(`- ${ruleText(r, false)}`);
    out.push('');
  }
  out.push(
    'Types follow the OpenAPI schema the API server enforces; a rule is a CEL expression (`x-kubernetes-validations`) ' +
      'checked at `kubectl apply`, quoted with the message the API server returns. “Immutable” fields cannot change ' +
      'after creation. `[]` marks the items of a list.',
    '',
  );

  out.push(`## Printer columns`, '', `\`kubectl get ${names.plural}\` shows:`, '');
  out.push('| Column | Type | JSONPath | Shown | Description |', '| --- | --- | --- | --- | --- |');
  for (const c of version.additionalPrinterColumns as readonly {
    name: string;
    type: string;
    jsonPath: string;
    priority?: number;
    description?: string;
  }[]) {
    out.push(
      `| ${c.name} | ${c.type} | ${code(c.jsonPath)} | ${c.priority ? 'with `-o wide`' : 'always'} | ${cell(c.description ?? (c.name === 'Age' ? 'Time since creation.' : ''))} |`,
    );
  }
  out.push('');

  out.push('## Spec', '', ...fieldTable(root.properties.spec, 'spec', true, extra.collapsed), '');
  if (extra.spec) out.push(...extra.spec);
  out.push('## Status', '', ...fieldTable(root.properties.status, 'status', false), '');
  out.push(...extra.status);
  return out.join('\n').replace(/\n+$/, '\n');
}

/** Set by people rather than the operator: after the spec table. */
function hpcJobAnnotationSection(): string[] {
  return [
    '## Annotations',
    '',
    'Set with `kubectl annotate --overwrite` (or `kubectl hpc retry` / `kubectl hpc cancel`, see [kubectl-hpc.md](../kubectl-hpc.md)):',
    '',
    ...termTable(
      ['Annotation', 'Effect'],
      Object.entries(HPCJOB_ANNOTATIONS).map(([k, v]) => [
        HPCJobAnnotations[k as keyof typeof HPCJobAnnotations],
        v,
      ]),
    ),
    '',
  ];
}

function hpcJobStatusSections(): string[] {
  return [
    '### Phases',
    '',
    ...termTable(
      ['Phase', 'Meaning'],
      PHASES.map((p) => [p, HPCJOB_PHASES[p]]),
    ),
    '',
    '### Condition types',
    '',
    'In `status.conditions`, in the `metav1.Condition` shape, one per type:',
    '',
    ...termTable(
      ['Type', 'Meaning and reasons'],
      Object.keys(HPCJobConditions).map((k) => [
        HPCJobConditions[k as keyof typeof HPCJobConditions],
        HPCJOB_CONDITIONS[k as keyof typeof HPCJobConditions],
      ]),
    ),
    '',
    '### Failure categories',
    '',
    'In `status.attempts[].failureCategory`; `spec.retryPolicy.rules[].onCategories` matches them. ' +
      'The defaults apply when no rule matches (see [the cookbook](../retry-hold-cookbook.md)):',
    '',
    ...termTable(
      ['Category', 'Meaning and default action'],
      FAILURE_CATEGORIES.map((c) => [c, FAILURE_CATEGORY_TEXT[c]]),
    ),
    '',
  ];
}

function virtualClusterStatusSections(): string[] {
  return [
    '### Phases',
    '',
    ...termTable(
      ['Phase', 'Meaning'],
      VC_PHASES.map((p) => [p, VC_PHASE_TEXT[p]]),
    ),
    '',
    '### Condition types',
    '',
    ...termTable(
      ['Type', 'Meaning and reasons'],
      Object.keys(VirtualClusterConditions).map((k) => [
        VirtualClusterConditions[k as keyof typeof VirtualClusterConditions],
        VC_CONDITIONS[k as keyof typeof VirtualClusterConditions],
      ]),
    ),
    '',
  ];
}

export function renderReference(): { file: string; text: string }[] {
  const [hpcJob, virtualCluster, hpcJobSet] = allCRDs;
  const hpc = renderCRD(hpcJob!, { spec: hpcJobAnnotationSection(), status: hpcJobStatusSections() });
  const vc = renderCRD(virtualCluster!, { status: virtualClusterStatusSections() });
  return [
    { file: 'docs/reference/hpcjob.md', text: hpc },
    { file: 'docs/reference/virtualcluster.md', text: vc },
    {
      file: 'docs/reference/hpcjobset.md',
      text: renderCRD(hpcJobSet!, {
        spec: hpcJobSetSpecSections(),
        status: hpcJobSetStatusSections(),
        // The template is an HPCJob spec: hpcjob.md documents each of its fields.
        collapsed: ['spec.template'],
      }),
    },
  ];
}

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The files whose committed text differs from what the schemas give (empty: up to date). */
export function staleReference(): string[] {
  return renderReference()
    .filter(({ file, text }) => {
      try {
        return readFileSync(join(repo, file), 'utf8') !== text;
      } catch {
        return true;
      }
    })
    .map(({ file }) => file);
}

function main(): number {
  const check = process.argv.includes('--check');
  const stale = new Set(staleReference());
  for (const { file, text } of renderReference()) {
    if (!stale.has(file)) continue;
    if (check) console.error(`${file} is stale: run make docs`);
    else {
      writeFileSync(join(repo, file), text);
      console.log(`wrote ${file}`);
    }
  }
  return check && stale.size > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(main());
