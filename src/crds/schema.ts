/**
 * A tiny typed builder for structural OpenAPI v3 schemas.
 *
 * Each builder returns a `Schema<T>`: the JSON schema that goes into the CRD *and* the TypeScript type `T` it
 * validates, so the CRD YAML and the controller's types come from one source (`Infer<typeof schema>`).
 * Every builder takes a `description`, which becomes `kubectl explain` text.
 */

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps the CRDs use. */
export interface JSONSchemaProps {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  description?: string;
  format?: string;
  enum?: readonly (string | number)[];
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  nullable?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
}

/** A CEL rule (`x-kubernetes-validations`). */
export interface ValidationRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** A schema together with the TypeScript type of the values it accepts (phantom `_type`). */
export interface Schema<T> {
  readonly json: JSONSchemaProps;
  readonly _type?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Options every builder accepts. */
interface Common {
  description: string;
  rules?: ValidationRule[];
}

function withCommon(json: JSONSchemaProps, o: Common): JSONSchemaProps {
  const out: JSONSchemaProps = { ...json, description: o.description };
  if (o.rules && o.rules.length > 0) out['x-kubernetes-validations'] = o.rules;
  return out;
}

export function str(
  o: Common & {
    pattern?: string;
    minLength?: number;
    maxLength?: number;
    format?: string;
    default?: string;
  },
): Schema<string> {
  const { description: _d, rules: _r, ...rest } = o;
  return { json: withCommon({ type: 'string', ...rest }, o) };
}

export function enumOf<const V extends string>(values: readonly V[], o: Common & { default?: V }): Schema<V> {
  const json: JSONSchemaProps = { type: 'string', enum: values };
  if (o.default !== undefined) json.default = o.default;
  return { json: withCommon(json, o) };
}

export function int(
  o: Common & { minimum?: number; maximum?: number; default?: number; format?: 'int32' | 'int64' },
): Schema<number> {
  const { description: _d, rules: _r, ...rest } = o;
  return { json: withCommon({ type: 'integer', ...rest }, o) };
}

export function num(o: Common & { minimum?: number; maximum?: number; default?: number }): Schema<number> {
  const { description: _d, rules: _r, ...rest } = o;
  return { json: withCommon({ type: 'number', ...rest }, o) };
}

export function bool(o: Common & { default?: boolean }): Schema<boolean> {
  const { description: _d, rules: _r, ...rest } = o;
  return { json: withCommon({ type: 'boolean', ...rest }, o) };
}

/** A Kubernetes quantity such as `512Mi` or `4Gi` (int-or-string on the wire, a string in our types). */
export function quantity(o: Common & { default?: string }): Schema<string> {
  const json: JSONSchemaProps = {
    'x-kubernetes-int-or-string': true,
    pattern: QUANTITY_PATTERN,
    // For integers (bytes), which the pattern does not see: what the operator passes on (MAX_QUANTITY_BYTES).
    minimum: 0,
    maximum: 2 ** 50,
  };
  if (o.default !== undefined) json.default = o.default;
  return { json: withCommon(json, o) };
}

/** Positive quantities with an optional binary or decimal suffix; what HTCondor's request_* can express. */
export const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|K|M|G|T)?$';

/** RFC 3339 timestamp. */
export function dateTime(o: Common): Schema<string> {
  return { json: withCommon({ type: 'string', format: 'date-time' }, o) };
}

export function arr<T>(
  items: Schema<T>,
  o: Common & {
    minItems?: number;
    maxItems?: number;
    listType?: 'atomic' | 'set' | 'map';
    listMapKeys?: string[];
  },
): Schema<T[]> {
  const json: JSONSchemaProps = { type: 'array', items: items.json };
  if (o.minItems !== undefined) json.minItems = o.minItems;
  if (o.maxItems !== undefined) json.maxItems = o.maxItems;
  if (o.listType) json['x-kubernetes-list-type'] = o.listType;
  if (o.listMapKeys) json['x-kubernetes-list-map-keys'] = o.listMapKeys;
  return { json: withCommon(json, o) };
}

/** A string-to-value map (`additionalProperties`). */
export function mapOf<T>(
  values: Schema<T>,
  o: Common & { maxProperties?: number },
): Schema<Record<string, T>> {
  const json: JSONSchemaProps = { type: 'object', additionalProperties: values.json };
  if (o.maxProperties !== undefined) json.maxProperties = o.maxProperties;
  return { json: withCommon(json, o) };
}

type Props = Record<string, Schema<unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ObjectOf<P extends Props, R extends keyof P> = Simplify<
  { [K in R]: Infer<P[K]> } & { [K in Exclude<keyof P, R>]?: Infer<P[K]> }
>;

export function obj<P extends Props, const R extends keyof P & string = never>(
  properties: P,
  o: Common & { required?: readonly R[]; default?: Record<string, unknown> },
): Schema<ObjectOf<P, R>> {
  const props: Record<string, JSONSchemaProps> = {};
  for (const [k, v] of Object.entries(properties)) props[k] = v.json;
  const json: JSONSchemaProps = { type: 'object', properties: props };
  if (o.required && o.required.length > 0) json.required = [...o.required];
  if (o.default !== undefined) json.default = o.default;
  return { json: withCommon(json, o) };
}

/** An object whose content the API server keeps as is (used only for embedded Kubernetes types). */
export function freeform(o: Common): Schema<Record<string, unknown>> {
  return {
    json: withCommon({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, o),
  };
}

/** The same schema with a different description (for reused shapes). */
export function describe<T>(s: Schema<T>, description: string): Schema<T> {
  return { json: { ...s.json, description } };
}

/** The same schema plus CEL rules. */
export function withRules<T>(s: Schema<T>, rules: ValidationRule[]): Schema<T> {
  return {
    json: {
      ...s.json,
      'x-kubernetes-validations': [...(s.json['x-kubernetes-validations'] ?? []), ...rules],
    },
  };
}

/** A field that may not change once set: `kubectl apply` of a different value is rejected. */
export function immutable<T>(s: Schema<T>, what: string): Schema<T> {
  return withRules(s, [{ rule: 'self == oldSelf', message: `${what} is immutable` }]);
}
