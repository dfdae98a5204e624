/**
 * `make docs`: writes docs/reference/{hpcjob,virtualcluster}.md from the CRD schemas in src/crds — every
 * field with its type, default, validation (enum, bounds, pattern, lengths, CEL rules with their messages)
 * and description; phases, condition types, failure categories, annotations and printer columns.
 * `--check` exits non-zero when a committed file differs (src/crds/docs.test.ts does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allCRDs } from './crd.js';
import {
  FAILURE_CATEGORIES,
  HPCJobAnnotations,
  HPCJobConditions,
  PHASES,
  type FailureCategory,
  type Phase,
} from './hpcjob.js';
import type { JSONSchemaProps, ValidationRule } from './schema.js';
import { VC_PHASES, VirtualClusterConditions, type VCPhase } from './virtualcluster.js';

const HEADER = '<!-- Generated from src/crds by `make docs` (src/crds/docs.ts). Do not edit. -->';

// What the schemas cannot say: the meaning of each phase, condition type, category and annotation. Keyed
// by the exported constants, so a new phase or condition without a description fails to type-check.

const HPCJOB_PHASES: Record<Phase, string> = {
  Pending:
    'No HTCondor job exists for the current attempt yet: before the first submission, between attempts (backoff), while submissions fail, while suspended before submission, or while waiting for a VirtualCluster, a chirp ticket Secret or a condor-transfer workspace.',
  Submitted: 'condor_submit returned a job id; the tracker has not seen the job in the queue yet.',
  Queued: 'The HTCondor job is idle in the queue, waiting for a matching slot.',
  Running: 'The step executes on a worker.',
  Held: 'The HTCondor job is on hold: a hold (see the `Held` condition and `status.attempts[].holdCode`) or `spec.suspend`.',
  Succeeded: 'Final: an attempt exited 0.',
  Failed:
    'Final: the last attempt failed and the retry policy allowed no further attempt, or the spec was rejected, the deadline passed, or the job was cancelled.',
  Lost: 'Final: the HTCondor job of the last attempt was in neither the queue nor the history, and no retry was left.',
};

const HPCJOB_CONDITIONS: Record<keyof typeof HPCJobConditions, string> = {
  Accepted:
    'The spec passed the operator validation (`True`, reason `Valid`). `False` means it will never be submitted; the reason names the problem (`InvalidRequirements`, `InvalidImage`, `InvalidWorkspace`, `InvalidQuantity`, `InvalidDuration`, `TooLarge`, `StagingUnavailable`).',
  Submitted:
    'An HTCondor job exists for the current attempt (`Submitted`, or `Adopted` when an existing job with the same tags was found). `False` while backing off (`BackingOff`) or while a submission fails (`SubmitFailed`, `SecretNotFound`, `WorkspaceNotFound`).',
  Running:
    'The current attempt executes on a worker. `False` with reason `Queued`, `Held`, `Completed`, `Cancelled` or the failure category of the attempt.',
  Held: 'The current attempt is on hold in HTCondor: reason `HoldCode<N>`, the message carries the code, subcode and HoldReason; `HeldByUser` when a person put it on hold (code 1): the operator leaves it held until it is released or `--user-hold-timeout` passes. `False` (`NotHeld`) once it runs or is queued again.',
  Suspended:
    'The job is held on purpose because `spec.suspend` is true (`Suspended`, `Suspending`); `False` with `Resuming` or `NotSuspended` after it is set back to false.',
  SchedulerReachable:
    'The schedd answered the last query (`Reachable`). `False` with `SchedulerUnavailable` while it does not; the state is kept and work resumes when it answers.',
  VirtualClusterReady:
    'Only with `spec.virtualClusterRef`: the VirtualCluster exists and can take jobs (`Found`); `False` with `NotFound` or `NotUsable` (Terminating, Terminated, Failed or being deleted).',
  OutputsFetched:
    "Only while fetching the attempt's output sandbox (stdout, stderr, condor-transfer results) fails: `False` with `FetchFailed` and the error while it is tried again with backoff; `True` (`Fetched`) once it came back. The attempt's end is recorded, and HTCondor allowed to delete the sandbox, only after its output is here (or, after `--output-fetch-timeout`, with what happened said in the attempt).",
  Succeeded: 'Final: the step exited 0 (reason `ExitedZero`).',
  Failed:
    'Final: the job ended without success (phase Failed or Lost); the reason is the failure category of the last attempt, or `InvalidSpec`, `StagingUnavailable`, `DeadlineExceeded`, `VirtualClusterUnavailable`, `Cancelled`.',
};

const FAILURE_CATEGORY_TEXT: Record<FailureCategory, string> = {
  ExitCode: 'The step exited with a non-zero code (`attempts[].exitCode`). Default: fail.',
  Signal: 'The step was killed by a signal (`attempts[].signal`). Default: fail.',
  Hold: 'The HTCondor job was held (`attempts[].holdCode`, `holdSubCode`, `holdReason`). Default: release transient hold codes (6 with subcode 110 or 26; 11; 12 and 13 unless subcode 2; 18; 36; 45), fail the rest.',
  StageIn: 'The wrapper could not stage the workspace in (exit 122). Default: retry.',
  StageOut: 'The wrapper could not stage results back (exit 123). Default: retry.',
  NoRuntime: 'No container runtime on the worker could run the image (exit 121). Default: retry.',
  WrapperError: 'The wrapper contract was broken (exit 120). Default: fail.',
  Lost: 'The HTCondor job was in neither the queue nor the history. Default: retry.',
  Removed:
    'The HTCondor job was removed outside the operator (condor_rm by a person or a policy). Default: fail.',
  DeadlineExceeded: '`activeDeadlineSeconds` passed; the job was removed. Never retried.',
  SubmitError: 'The schedd refused the job at submission (a permanent condor_submit error). Default: fail.',
};

const HPCJOB_ANNOTATIONS: Record<keyof typeof HPCJobAnnotations, string> = {
  Retry:
    'Any new value starts one more attempt of a finished (Succeeded, Failed, Lost) HPCJob; the attempt history is kept. A value set while the job is not finished is recorded in `status.retryToken` and ignored.',
  Cancel:
    'Any new value removes the HTCondor job and ends the HPCJob as Failed (condition `Failed`, reason `Cancelled`) without deleting it. Ignored on a finished HPCJob.',
};

const VC_PHASE_TEXT: Record<VCPhase, string> = {
  Pending: 'No allocations in the spec.',
  Validating: 'Allocations are listed but none has been checked yet.',
  Provisioning:
    'Fewer pilots have joined the pool than are requested, or more are active than requested (scaling down).',
  Running: 'Every requested pilot has joined the pool.',
  Degraded:
    'Some allocation rejected its credentials or could not be managed (login node unreachable, a batch command failed), and not every allocation rejected its credentials.',
  Terminating: 'The lifetime ended; pilots are being cancelled.',
  Terminated: 'The lifetime ended and every pilot is gone. Final.',
  Failed:
    'Every allocation rejected its credentials, the pilot token Secret is missing, unreadable or holds no IDTOKEN, or the spec holds a duration or quantity no site can be given (`Ready=False`, reason `InvalidDuration` or `InvalidQuantity`, nothing sent to any site).',
};

const VC_CONDITIONS: Record<keyof typeof VirtualClusterConditions, string> = {
  CredentialsValid:
    '`True` (`Verified`) when no allocation rejected its credentials and at least one login succeeded. `False` (`Rejected`) names each allocation and why: Secret or `ssh-privatekey` missing, key unreadable, no pinned host key, authentication failed, host key mismatch.',
  CredentialExpiring:
    'Only when the credential Secrets hold an `x509-proxy` or a `token` with an expiry: `True` (`ExpiresSoon`) within 3 days of `status.credentialExpiresAt`, else `False` (`Valid`).',
  SiteReachable:
    '`True` (`Reachable`) when every allocation could be managed. `False` (`Unreachable`) names each allocation whose login node did not answer or whose batch command (list, submit) failed, with the error.',
  PoolJoined:
    'Set once pilots run: `True` (`Joined`) when at least one running pilot advertises slots to the collector, `False` (`NotJoined`) while none does. `False` (`TokenMissing`) when the pilot token Secret is missing or holds no IDTOKEN.',
  Ready:
    '`True` when the phase is Running; the reason is the phase. `False` with `InvalidDuration` or `InvalidQuantity` when the operator refused the spec (the message names the field).',
};

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

/** Every field below `schema`, depth first, in schema order; `[]` marks array items, `{}` map values. */
function rows(schema: JSONSchemaProps, path: string, required: boolean): Row[] {
  const out: Row[] = [{ path, schema, required }];
  for (const [name, prop] of Object.entries(schema.properties ?? {}))
    out.push(...rows(prop, `${path}.${name}`, schema.required?.includes(name) ?? false));
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

function fieldTable(schema: JSONSchemaProps, root: string, required: boolean): string[] {
  const lines = ['| Field | Type | Default | Validation | Description |', '| --- | --- | --- | --- | --- |'];
  const below: string[] = [];
  for (const r of rows(schema, root, required)) {
    lines.push(
      `| ${code(r.path)} | ${typeOf(r.schema)} | ${defaultOf(r.schema)} | ${validateRow(r)} | ${describeRow(r)} |`,
    );
    const under = rulesUnder(r);
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

function renderCRD(crd: CRD, extra: { status: string[]; spec?: string[] }): string {
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

  out.push('## Spec', '', ...fieldTable(root.properties.spec, 'spec', true), '');
  if (extra.spec) out.push(...extra.spec);
  out.push('## Status', '', ...fieldTable(root.properties.status, 'status', false), '');
  out.push(...extra.status);
  return out.join('\n').replace(/\n+$/, '\n');
}

export function renderReference(): { file: string; text: string }[] {
  const [hpcJob, virtualCluster] = allCRDs;
  const hpc = renderCRD(hpcJob!, {
    spec: [
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
    ],
    status: [
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
    ],
  });
  const vc = renderCRD(virtualCluster!, {
    status: [
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
    ],
  });
  return [
    { file: 'docs/reference/hpcjob.md', text: hpc },
    { file: 'docs/reference/virtualcluster.md', text: vc },
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
