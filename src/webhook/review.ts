/**
 * What the validating admission webhook decides, as pure functions: the problems that deny a create or an
 * update (what the operator would refuse before submitting, beyond what the CRD's schema and CEL rules say:
 * a requirements expression HTCondor cannot parse, sizes and bounds the schema cannot count), and the
 * objects an HPCJob or VirtualCluster names whose absence only earns a warning (a Secret or VirtualCluster
 * may well be created next). Every message starts with the field it is about. HPCJobSets: set-review.ts.
 *
 * An update is judged only on what it changes: a spec that did not change is let through (finalizer and
 * status writes, labels), and a problem the old spec had already does not block it (an object stored before
 * a check existed can still be updated and deleted).
 */
import { outputLimitError, specProblems } from '../controllers/hpcjob/validate.js';
import { credentialsFrom } from '../controllers/virtualcluster/credentials.js';
import { validateVirtualClusterSpec } from '../controllers/virtualcluster/validate.js';
import { HPCJobDefaults, type HPCJob } from '../crds/hpcjob.js';
import { PILOT_TOKEN_KEY, type VirtualCluster } from '../crds/virtualcluster.js';
import { POOL_DEFAULTS } from '../crds/virtualcluster-pool.js';
import { sameJson } from '../runtime/kube-api.js';

export interface ReviewSettings {
  /** --max-output-bytes-ceiling: what spec.workspace.maxOutputBytes may ask for. */
  maxOutputBytesCeiling: number;
  /** --virtual-cluster-wait-seconds: how long an HPCJob waits for its VirtualCluster. */
  virtualClusterWaitSeconds: number;
}

/** What a lookup of a named object found. */
export type Found =
  | { state: 'found'; data?: Record<string, string> }
  | { state: 'missing' }
  /** The operator may not read it (its message says what to bind). */
  | { state: 'forbidden'; message: string }
  /** Not known in time (an API error, a timeout, a cache not synced, a namespace not watched). */
  | { state: 'unknown' };

/** An object the reviewed one names, and the warning (if any) for what a lookup finds. */
export interface Reference {
  kind: 'Secret' | 'VirtualCluster';
  namespace: string;
  name: string;
  warning: (found: Found) => string | undefined;
}

export interface Verdict {
  /** Non-empty: the request is denied with these messages. */
  denials: string[];
  references: Reference[];
  /** Warnings that need no lookup (given before those of the references). */
  warnings?: string[];
}

export const ALLOW: Verdict = { denials: [], references: [] };

/** The message of a validation error, starting with its field. */
function namingField(e: { field: string; message: string }): string {
  return e.message.startsWith(e.field) ? e.message : `${e.field}: ${e.message}`;
}

/** Problems of `next` that `previous` (the old object of an update) did not have. */
export function newProblems(next: string[], previous: string[] | undefined): string[] {
  return previous ? next.filter((p) => !previous.includes(p)) : next;
}

function hpcJobProblems(job: HPCJob, s: ReviewSettings): string[] {
  return jobSpecProblems(job.spec ?? {}, s);
}

/**
 * What the operator would refuse in an HPCJob spec, each message starting with its field ("spec...."): an
 * HPCJobSet's template is judged the same, its messages moved under "spec.template".
 */
export function jobSpecProblems(spec: HPCJob['spec'], s: ReviewSettings): string[] {
  const all = [...specProblems(spec), outputLimitError(spec, s.maxOutputBytesCeiling)];
  return all.flatMap((e) => (e ? [namingField(e)] : []));
}

export function reviewHPCJob(job: HPCJob, old: HPCJob | undefined, s: ReviewSettings): Verdict {
  if (old && sameJson(old.spec, job.spec)) return ALLOW;
  const denials = newProblems(hpcJobProblems(job, s), old && hpcJobProblems(old, s));
  const references = jobSpecReferences(job.spec, 'spec', job.metadata.namespace ?? '', 'HPCJob', s);
  return { denials, references };
}

/**
 * The objects an HPCJob spec names (an HPCJob's spec, or an HPCJobSet's template), with warnings whose
 * field paths start at `at` ("spec", "spec.template"); `owner` is the kind that waits for them.
 */
export function jobSpecReferences(
  spec: HPCJob['spec'],
  at: string,
  ns: string,
  owner: 'HPCJob' | 'HPCJobSet',
  s: ReviewSettings,
): Reference[] {
  const references: Reference[] = [];
  const vc = spec.virtualClusterRef?.name;
  if (vc) {
    references.push({
      kind: 'VirtualCluster',
      namespace: ns,
      name: vc,
      warning: (f) =>
        f.state === 'missing'
          ? `${at}.virtualClusterRef: VirtualCluster ${JSON.stringify(vc)} does not exist in namespace ${ns} (yet): the ${owner} waits for it, and fails after ${s.virtualClusterWaitSeconds} s without it`
          : undefined,
    });
  }
  const ws = spec.workspace;
  const ticket = ws?.chirp?.ticketSecretRef;
  if (ticket && (ws?.staging ?? HPCJobDefaults.staging) === 'cctools') {
    const key = ticket.key ?? 'ticket';
    references.push({
      kind: 'Secret',
      namespace: ns,
      name: ticket.name,
      warning: secretWarning(`${at}.workspace.chirp.ticketSecretRef`, ticket.name, (data) =>
        data[key] === undefined ? `Secret ${ticket.name} has no key ${key}` : undefined,
      ),
    });
  }
  return references;
}

/**
 * The warning for a Secret the object names: missing (the attempt would wait for it), without what it must
 * hold, or unreadable by the operator. `problem` judges the data of a Secret that exists.
 */
function secretWarning(
  field: string,
  name: string,
  problem: (data: Record<string, string>) => string | undefined,
): (f: Found) => string | undefined {
  return (f) => {
    if (f.state === 'missing') return `${field}: Secret ${name} does not exist (yet)`;
    if (f.state === 'forbidden') return `${field}: ${f.message}`;
    if (f.state === 'found' && f.data) {
      const p = problem(f.data);
      return p ? `${field}: ${p}` : undefined;
    }
    return undefined;
  };
}

function virtualClusterProblems(vc: VirtualCluster): string[] {
  const e = validateVirtualClusterSpec(vc.spec ?? { pool: {} });
  return e ? [namingField(e)] : [];
}

export function reviewVirtualCluster(vc: VirtualCluster, old: VirtualCluster | undefined): Verdict {
  if (old && sameJson(old.spec, vc.spec)) return ALLOW;
  const denials = newProblems(virtualClusterProblems(vc), old && virtualClusterProblems(old));
  const ns = vc.metadata.namespace ?? '';
  const references: Reference[] = [];
  const token = vc.spec.pool?.pilotTokenSecretRef;
  const signing = vc.spec.pool?.pilotTokens?.signingKeySecretRef;
  for (const [field, ref, dflt] of [
    ['spec.pool.pilotTokenSecretRef', token, PILOT_TOKEN_KEY],
    ['spec.pool.pilotTokens.signingKeySecretRef', signing, POOL_DEFAULTS.signingKeyName],
  ] as const) {
    if (!ref) continue;
    const key = ref.key ?? dflt;
    references.push({
      kind: 'Secret',
      namespace: ns,
      name: ref.name,
      warning: secretWarning(field, ref.name, (data) =>
        data[key] === undefined ? `Secret ${ref.name} has no key ${key}` : undefined,
      ),
    });
  }
  (vc.spec.allocations ?? []).forEach((a, i) => {
    const name = a.credentials?.secretName;
    if (!name) return;
    references.push({
      kind: 'Secret',
      namespace: ns,
      name,
      warning: secretWarning(`spec.allocations[${i}].credentials.secretName`, name, (data) => {
        const c = credentialsFrom(a, data);
        return 'reason' in c ? c.message : undefined;
      }),
    });
  });
  return { denials, references };
}
