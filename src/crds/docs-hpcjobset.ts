/**
 * What the HPCJobSet schema cannot say, for its reference page (docs.ts renders it): phases, conditions,
 * index states, annotations and how the index reaches the step. Keyed by the exported constants, so a new
 * phase or condition without a description fails to type-check.
 */
import type { HPCJobSetConditions } from './hpcjobset-constants.js';
import {
  HPCJobSetAnnotations,
  INDEX_STATES,
  SET_PHASES,
  SetEnv,
  type IndexState,
  type SetPhase,
} from './hpcjobset-constants.js';

const SET_PHASE_TEXT: Record<SetPhase, string> = {
  Pending: 'Nothing of the set is in HTCondor yet.',
  Running: 'Some indices are queued, running, held or waiting for their next attempt.',
  Suspended: '`spec.suspend` is true: submitted jobs are held, nothing more is submitted.',
  Succeeded: 'Final: every index succeeded.',
  Failed:
    'Final: every index ended and at least one failed for good or was cancelled; or the whole set was cancelled, or the spec was rejected.',
};

const SET_CONDITION_TEXT: Record<keyof typeof HPCJobSetConditions, string> = {
  Accepted:
    'The spec passed the operator validation (`True`, reason `Valid`); `False` (reason `InvalidSpec`) means nothing is submitted, the message names the field.',
  Suspended: '`True` while `spec.suspend` holds the set (reason `Suspended`).',
  SchedulerReachable: 'The schedd answered its last query; `False` (reason `Unreachable`) while it does not.',
  VirtualClusterReady:
    'Only with `template.virtualClusterRef`, as for an HPCJob: `True` (`Found`, or `NoWorkerFits` when no worker of the VirtualCluster is big enough or lives long enough for the template: the indices are submitted and would stay idle, a Warning says so); `False` with `NotFound`, `NotUsable` or `CredentialsExpire` while no index is submitted. After `--virtual-cluster-wait-seconds` of `False` the indices not submitted end `failed`, and so do those whose job waits idle for a VirtualCluster that is gone (the job is removed; a running one finishes).',
  Succeeded: 'Terminal: every index succeeded.',
  Failed: 'Terminal: the set ended with failed or cancelled indices (reason `IndicesFailed` or `Cancelled`).',
};

const INDEX_STATE_TEXT: Record<IndexState, string> = {
  pending:
    'Not in HTCondor: waiting for parallelism, for suspend to end, for its retry backoff or its first submission.',
  queued: 'Its HTCondor job is idle.',
  running: 'Its HTCondor job runs.',
  held: 'Its HTCondor job is held (by suspend or by HTCondor).',
  succeeded: 'Final: an attempt exited 0.',
  failed:
    'Final: its last attempt failed and the retry policy allowed no other, or it ran past `template.activeDeadlineSeconds` (counted from its first submission; its record says `DeadlineExceeded`, never retried), or its VirtualCluster stayed unusable.',
  cancelled: 'Final: cancelled by hand, or with the whole set.',
};

const ANNOTATION_TEXT: Record<keyof typeof HPCJobSetAnnotations, string> = {
  Cancel:
    'Any new value cancels the whole set: its jobs are removed, the indices not finished end `cancelled` and the set `Failed` (reason `Cancelled`).',
  CancelIndices:
    'An index list such as `3,10-19`: those indices are removed from HTCondor (or never submitted) and end `cancelled`. Cancelled indices stay cancelled; a later value adds to them.',
};

const row = (k: string, v: string) => `| \`${k}\` | ${v.replace(/\|/g, '\\|')} |`;

/** After the spec table: annotations and the step's environment. */
export function hpcJobSetSpecSections(): string[] {
  return [
    '## Annotations',
    '',
    '| Annotation | Effect |',
    '| --- | --- |',
    ...Object.entries(ANNOTATION_TEXT).map(([k, v]) =>
      row(HPCJobSetAnnotations[k as keyof typeof HPCJobSetAnnotations], v),
    ),
    '',
    '## What the step sees',
    '',
    `Each index runs \`spec.template\` as an HPCJob would, with \`${SetEnv.Index}\` (from 0) in its environment and, with \`spec.items\`, \`${SetEnv.ItemPrefix}<KEY>\` for each key of its item. ` +
      `In \`template.args\`, \`$(${SetEnv.Index})\` and \`$(${SetEnv.ItemPrefix}<KEY>)\` are replaced by their values (\`$$\` writes a literal \`$\`; other text is left as it is). ` +
      'The operator does the replacement and sends each index its argv and environment base64-encoded in one row of the submit description, so no value can reach HTCondor or a shell as syntax. A `template.script` reads the variables from its environment.',
    '',
  ];
}

/** After the status table: phases, conditions and index states. */
export function hpcJobSetStatusSections(): string[] {
  return [
    '### Phases',
    '',
    '| Phase | Meaning |',
    '| --- | --- |',
    ...SET_PHASES.map((p) => row(p, SET_PHASE_TEXT[p])),
    '',
    '### Condition types',
    '',
    '| Type | Meaning and reasons |',
    '| --- | --- |',
    ...Object.entries(SET_CONDITION_TEXT).map(([k, v]) => row(k, v)),
    '',
    '### Index states',
    '',
    '`status.counts` has one count per state; `status.queued`, `running`, `held`, `succeeded`, `failed` and `cancelled` list the indices as ranges:',
    '',
    '| State | Meaning |',
    '| --- | --- |',
    ...INDEX_STATES.map((s) => row(s, INDEX_STATE_TEXT[s])),
    '',
  ];
}
