/**
 * Validates a manifest against a CRD's structural schema the way the API server does on create: defaults
 * first, then types, enums, bounds, lengths, patterns, required fields, list uniqueness, and the CEL rules
 * (`x-kubernetes-validations`) through hand-written equivalents. Transition rules (those using `oldSelf`)
 * only apply to updates and are skipped. Unlike the API server, which prunes unknown fields silently, an
 * unknown field is an error: in documentation it is a typo.
 */
import { allCRDs } from '../../src/crds/crd.js';
import { IMAGE_PATTERN, MAX_ENV_VALUE } from '../../src/crds/hpcjob-constants.js';
import { IMAGE_RULE, PAYLOAD_RULES, SCRIPT_SIZE_RULE } from '../../src/crds/hpcjob-spec.js';
import type { JSONSchemaProps } from '../../src/crds/schema.js';
import {
  allocationWorkerRules,
  GPU_TYPE_BATCH_SYSTEMS,
  GPU_TYPE_PATTERN,
  GPU_TYPE_RULE,
} from '../../src/crds/virtualcluster-workers.js';

const ALLOCATION_GPU_TYPE_RULE = (allocationWorkerRules[0] as { rule: string }).rule;

type Value = unknown;
type Obj = Record<string, Value>;

const has = (o: Value, k: string) => typeof o === 'object' && o !== null && (o as Obj)[k] !== undefined;
const get = (o: Value, k: string) => (o as Obj)[k];
const length = (s: string) => [...s].length;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
/** A word's base64 size with its separating space, as the payload rules count it (CEL integer division). */
const word = (n: number) => Math.trunc((n + 2) / 3) * 4 + 1;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const [COMMAND_SIZE, ENV_SIZE] = PAYLOAD_RULES;

/** Every CEL rule of the CRDs, in JavaScript. A rule without an equivalent here fails validation. */
export const CEL: Record<string, (self: Value) => boolean> = {
  [IMAGE_RULE.rule]: (s) => new RegExp(IMAGE_PATTERN).test(s as string),
  [SCRIPT_SIZE_RULE.rule]: (s) => bytes(s as string) <= (MAX_ENV_VALUE / 4) * 3,
  [COMMAND_SIZE!.rule]: (s) =>
    sum(
      [...((get(s, 'command') as string[]) ?? []), ...((get(s, 'args') as string[]) ?? [])].map((c) =>
        word(length(c)),
      ),
    ) <=
    MAX_ENV_VALUE + 1,
  [ENV_SIZE!.rule]: (s) =>
    sum(
      ((get(s, 'env') as Obj[]) ?? []).map((e) => word(bytes(`${String(e.name)}=${String(e.value ?? '')}`))),
    ) <=
    MAX_ENV_VALUE + 1,
  'self.metadata.name.size() <= 63': (s) => length(get(get(s, 'metadata'), 'name') as string) <= 63,
  'self.metadata.name.size() <= 40': (s) => length(get(get(s, 'metadata'), 'name') as string) <= 40,
  'has(self.command) != has(self.script)': (s) => has(s, 'command') !== has(s, 'script'),
  '!has(self.resources) || !has(self.resources.nodes) || self.resources.nodes == 1 || has(self.virtualClusterRef)':
    (s) =>
      !has(s, 'resources') ||
      !has(get(s, 'resources'), 'nodes') ||
      get(get(s, 'resources'), 'nodes') === 1 ||
      has(s, 'virtualClusterRef'),
  '!has(self.args) || has(self.command)': (s) => !has(s, 'args') || has(s, 'command'),
  "!has(self.image) || self.containerRuntime != 'none'": (s) =>
    !has(s, 'image') || get(s, 'containerRuntime') !== 'none',
  "!self.matches('(^|/)\\\\.\\\\.?(/|$)')": (s) => !/(^|\/)\.\.?(\/|$)/.test(s as string),
  "self.matches('^(/[^/]+)*/users/[A-Za-z0-9._-]+/workflows/[A-Za-z0-9._-]+(/.*)?$')": (s) =>
    /^(\/[^/]+)*\/users\/[A-Za-z0-9._-]+\/workflows\/[A-Za-z0-9._-]+(\/.*)?$/.test(s as string),
  "!has(self.staging) || self.staging != 'cctools' || has(self.chirp)": (s) =>
    !has(s, 'staging') || get(s, 'staging') !== 'cctools' || has(s, 'chirp'),
  'has(self.onHoldCodes) || has(self.onExitCodes) || has(self.onSignals) || has(self.onCategories)': (s) =>
    has(s, 'onHoldCodes') || has(s, 'onExitCodes') || has(s, 'onSignals') || has(s, 'onCategories'),
  "self.action != 'release' || (has(self.onHoldCodes) && !has(self.onExitCodes) && !has(self.onSignals))": (
    s,
  ) =>
    get(s, 'action') !== 'release' ||
    (has(s, 'onHoldCodes') && !has(s, 'onExitCodes') && !has(s, 'onSignals')),
  "!has(self.memoryFactor) || self.action == 'retry'": (s) =>
    !has(s, 'memoryFactor') || get(s, 'action') === 'retry',
  '!has(self.onHoldSubCodes) || has(self.onHoldCodes)': (s) =>
    !has(s, 'onHoldSubCodes') || has(s, 'onHoldCodes'),
  '!has(self.min) || !has(self.max) || self.min <= self.max': (s) =>
    !has(s, 'min') || !has(s, 'max') || (get(s, 'min') as number) <= (get(s, 'max') as number),
  '!has(self.max) || self.count <= self.max': (s) =>
    !has(s, 'max') || (get(s, 'count') as number) <= (get(s, 'max') as number),
  'has(self.coreHours) || has(self.gpuHours)': (s) => has(s, 'coreHours') || has(s, 'gpuHours'),
  'has(self.pilotTokenSecretRef) != has(self.pilotTokens)': (s) =>
    has(s, 'pilotTokenSecretRef') !== has(s, 'pilotTokens'),
  'has(self.count) != has(self.items)': (s) => has(s, 'count') !== has(s, 'items'),
  '!has(self.template.suspend) || !self.template.suspend': (s) => get(get(s, 'template'), 'suspend') !== true,
  '!has(self.template.ttlSecondsAfterFinished)': (s) => !has(get(s, 'template'), 'ttlSecondsAfterFinished'),
  '!has(self.template.resources) || !has(self.template.resources.nodes) || self.template.resources.nodes == 1':
    (s) => {
      const r = get(get(s, 'template'), 'resources');
      return r === undefined || !has(r, 'nodes') || get(r, 'nodes') === 1;
    },
  [GPU_TYPE_RULE.rule]: (s) => new RegExp(GPU_TYPE_PATTERN).test(s as string),
  '!has(self.gpuType) || (has(self.gpus) && self.gpus > 0)': (s) =>
    !has(s, 'gpuType') || (has(s, 'gpus') && (get(s, 'gpus') as number) > 0),
  [ALLOCATION_GPU_TYPE_RULE]: (s) =>
    !has(s, 'workers') ||
    !has(get(s, 'workers'), 'gpuType') ||
    (GPU_TYPE_BATCH_SYSTEMS as readonly string[]).includes(get(s, 'batchSystem') as string),
};

export const isTransitionRule = (rule: string) => /\boldSelf\b/.test(rule);

/** Every CEL rule in the CRDs' schemas. */
export function allRules(): string[] {
  const rules = new Set<string>();
  const walk = (s: JSONSchemaProps) => {
    for (const r of s['x-kubernetes-validations'] ?? []) rules.add(r.rule);
    for (const p of Object.values(s.properties ?? {})) walk(p);
    if (s.items) walk(s.items);
    if (s.additionalProperties) walk(s.additionalProperties);
  };
  for (const crd of allCRDs) walk(crd.spec.versions[0]!.schema.openAPIV3Schema as JSONSchemaProps);
  return [...rules];
}

function schemaOf(apiVersion: unknown, kind: unknown): JSONSchemaProps | undefined {
  const crd = allCRDs.find(
    (c) => c.spec.names.kind === kind && `${c.spec.group}/${c.spec.versions[0]!.name}` === apiVersion,
  );
  return crd?.spec.versions[0]!.schema.openAPIV3Schema as JSONSchemaProps | undefined;
}

/** Structural defaulting: a missing field with a default gets it, then its own fields are defaulted. */
export function applyDefaults(schema: JSONSchemaProps, value: Value): Value {
  if (Array.isArray(value)) return schema.items ? value.map((v) => applyDefaults(schema.items!, v)) : value;
  if (typeof value !== 'object' || value === null) return value;
  const out: Obj = { ...(value as Obj) };
  for (const [k, p] of Object.entries(schema.properties ?? {})) {
    if (out[k] === undefined && p.default !== undefined) out[k] = structuredClone(p.default);
    if (out[k] !== undefined) out[k] = applyDefaults(p, out[k]);
  }
  if (schema.additionalProperties)
    for (const k of Object.keys(out)) out[k] = applyDefaults(schema.additionalProperties, out[k]);
  return out;
}

function typeError(s: JSONSchemaProps, v: Value): string | undefined {
  if (s['x-kubernetes-int-or-string'])
    return Number.isInteger(v) || typeof v === 'string' ? undefined : 'must be an integer or a string';
  switch (s.type) {
    case 'string':
      return typeof v === 'string' ? undefined : 'must be a string';
    case 'integer':
      return Number.isInteger(v) ? undefined : 'must be an integer';
    case 'number':
      return typeof v === 'number' ? undefined : 'must be a number';
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'must be a boolean';
    case 'array':
      return Array.isArray(v) ? undefined : 'must be a list';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'must be an object';
    default:
      return undefined;
  }
}

function check(s: JSONSchemaProps, v: Value, path: string, errors: string[]): void {
  const te = typeError(s, v);
  if (te) {
    errors.push(`${path}: ${te}`);
    return;
  }
  if (s.enum && !s.enum.includes(v as string)) errors.push(`${path}: must be one of ${s.enum.join(', ')}`);
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) errors.push(`${path}: must be at least ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) errors.push(`${path}: must be at most ${s.maximum}`);
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && length(v) < s.minLength)
      errors.push(`${path}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && length(v) > s.maxLength)
      errors.push(`${path}: longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v))
      errors.push(`${path}: does not match ${s.pattern}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems)
      errors.push(`${path}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems)
      errors.push(`${path}: more than ${s.maxItems} items`);
    const listType = s['x-kubernetes-list-type'];
    const keyOf = (item: Value) =>
      listType === 'map'
        ? JSON.stringify((s['x-kubernetes-list-map-keys'] ?? []).map((k) => get(item, k)))
        : JSON.stringify(item);
    if (listType === 'set' || listType === 'map') {
      const keys = v.map(keyOf);
      if (new Set(keys).size !== keys.length) errors.push(`${path}: duplicate items`);
    }
    v.forEach((item, i) => s.items && check(s.items, item, `${path}[${i}]`, errors));
  } else if (typeof v === 'object' && v !== null) {
    const o = v as Obj;
    for (const r of s.required ?? []) if (o[r] === undefined) errors.push(`${path}.${r}: required`);
    if (s.maxProperties !== undefined && Object.keys(o).length > s.maxProperties)
      errors.push(`${path}: more than ${s.maxProperties} properties`);
    for (const [k, child] of Object.entries(o)) {
      if (child === undefined) continue;
      const p = s.properties?.[k] ?? s.additionalProperties;
      if (p) check(p, child, `${path}.${k}`, errors);
      else if (!s['x-kubernetes-preserve-unknown-fields'] && s.properties)
        errors.push(`${path}.${k}: unknown field`);
    }
  }
  for (const r of s['x-kubernetes-validations'] ?? []) {
    if (isTransitionRule(r.rule)) continue;
    const fn = CEL[r.rule];
    if (!fn)
      errors.push(
        `${path}: no JavaScript equivalent for the rule ${r.rule} (add it to test/unit/crd-validate.ts)`,
      );
    else if (!fn(v)) errors.push(`${path}: ${r.message}`);
  }
}

/** Errors of the status of a manifest of one of the operator's kinds (a status write checks only that). */
export function validateStatus(m: Obj): string[] | undefined {
  const schema = schemaOf(m.apiVersion, m.kind)?.properties?.status;
  if (!schema || m.status === undefined) return schema ? [] : undefined;
  const errors: string[] = [];
  check(schema, applyDefaults(schema, m.status as Value), `${String(m.kind)}.status`, errors);
  return errors;
}

/**
 * Errors of a manifest of one of the operator's kinds, after defaulting; undefined for other kinds (a
 * Secret, say). Returns the defaulted object too, for checks that come after the API server's.
 */
export function validateManifest(m: Obj): { errors: string[]; defaulted: Obj } | undefined {
  const schema = schemaOf(m.apiVersion, m.kind);
  if (!schema) return undefined;
  const defaulted = applyDefaults(schema, m) as Obj;
  const errors: string[] = [];
  check(schema, defaulted, String(m.kind), errors);
  return { errors, defaulted };
}
