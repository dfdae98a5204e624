/**
 * What the validating admission webhook decides about an HPCJobSet, as pure functions (review.ts for the
 * rules every review follows). Its template is judged as an HPCJob's spec is (the same checks, lookups and
 * warnings, field paths under spec.template); then what only a set has and CEL cannot check cheaply: item
 * keys that cannot become HPC_ITEM_<KEY> variables, an index whose environment or argv would not fit in a
 * job environment variable (the controller refuses both too: controllers/hpcjobset/validate.ts), and a
 * set so large that its status could carry it past what etcd stores per object (a warning: the set runs
 * until a status write is refused).
 */
import { itemsProblem, totalOf } from '../controllers/hpcjobset/index-env.js';
import { indexPayloadProblem } from '../controllers/hpcjobset/index-payload.js';
import { MAX_INDEX_RECORDS, type HPCJobSet } from '../crds/hpcjobset.js';
import { sameJson } from '../runtime/kube-api.js';
import {
  ALLOW,
  jobSpecProblems,
  jobSpecReferences,
  newProblems,
  type ReviewSettings,
  type Verdict,
} from './review.js';

/** What etcd stores per object by default (its --max-request-bytes); the API server refuses larger writes. */
export const ETCD_OBJECT_BYTES = 1.5 * 1024 * 1024;
/** About the most one attempt record of status.indexRecords takes (a 512-character message and the rest). */
const INDEX_RECORD_BYTES = 700;

/** The problems of a set: its template's, moved under spec.template, then its items'. */
function setProblems(set: HPCJobSet, s: ReviewSettings): string[] {
  const template = jobSpecProblems(set.spec?.template ?? {}, s).map((p) =>
    p.replace(/^spec/, 'spec.template'),
  );
  const items = itemsProblem(set) ?? indexPayloadProblem(set);
  return items ? [...template, items] : template;
}

export function reviewHPCJobSet(set: HPCJobSet, old: HPCJobSet | undefined, s: ReviewSettings): Verdict {
  if (old && sameJson(old.spec, set.spec)) return ALLOW;
  const denials = newProblems(setProblems(set, s), old && setProblems(old, s));
  const ns = set.metadata.namespace ?? '';
  const references = jobSpecReferences(set.spec.template ?? {}, 'spec.template', ns, 'HPCJobSet', s);
  const size = sizeWarning(set);
  return { denials, references, ...(size ? { warnings: [size] } : {}) };
}

/**
 * The most the status of `total` indices can take: its index lists (running, held, succeeded, failed,
 * cancelled) name each index at most once, with a separator, and at most MAX_INDEX_RECORDS attempt records.
 */
export function statusRoom(total: number): number {
  const digits = String(Math.max(total - 1, 0)).length;
  return total * (digits + 1) + Math.min(total, MAX_INDEX_RECORDS) * INDEX_RECORD_BYTES;
}

/** A warning when the set (without status) and the most its status can take pass ETCD_OBJECT_BYTES. */
export function sizeWarning(set: HPCJobSet): string | undefined {
  const bytes = Buffer.byteLength(JSON.stringify({ ...set, status: undefined }));
  const total = totalOf(set);
  const room = statusRoom(total);
  if (bytes + room <= ETCD_OBJECT_BYTES) return undefined;
  return `spec: the set is ${bytes} bytes and the status of ${total} indices can take ${room} more: above the ${ETCD_OBJECT_BYTES} bytes etcd stores per object, status writes would fail (split the set or shorten its items)`;
}
