/**
 * The HTCondor jobs of an HPCJobSet's indices: each is the job an HPCJob with the template's spec would get
 * (controllers/hpcjob/description.ts), plus what differs per index: HPC_INDEX and HPC_ITEM_<KEY> in the
 * step's environment, args with $(NAME) replaced, the attempt, its own stdout/stderr names and the
 * HPCJobSetIndex tag. Everything that differs is a plain token (a number, or base64 words joined by dots),
 * so that all indices sit in one `queue ... from` table: one condor_submit, one cluster.
 */
import { s, type SubmitJob, type SubmitTable, type TableColumn } from '../../condor/submit-description.js';
import { Tag } from '../../condor/tags.js';
import { API_VERSION } from '../../crds/common.js';
import { HPCJOB_KIND, type HPCJob } from '../../crds/hpcjob.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { WrapperEnv, b64Dotted } from '../../wrapper-contract.js';
import { buildSubmitJob, type DescriptionOptions } from '../hpcjob/description.js';
import { argsVary, expand, indexVars } from './index-env.js';
import { indexOutputName } from './index-files.js';

/** Tag.Ref of a set's jobs: this prefix and namespace/name, so that their changes reach the set's controller. */
export const SET_REF_PREFIX = 'hpcjobset:';

export function setRef(set: HPCJobSet): string {
  return `${set.metadata.namespace}/${set.metadata.name}`;
}

/**
 * The HPCJob the set's files are kept under (AttemptFiles): the template's spec, and a name no HPCJob can
 * have (an underscore), so that a set and an HPCJob of the same name never share a directory.
 */
export function filesJob(set: HPCJobSet): HPCJob {
  return {
    apiVersion: API_VERSION,
    kind: HPCJOB_KIND,
    metadata: { ...set.metadata, name: `hpcjobset_${set.metadata.name}` },
    spec: set.spec.template,
  };
}

export interface IndexAttempt {
  index: number;
  attempt: number;
}

/** The columns of a set's table: what differs per index (HPC_ARGV only when args refer to a variable). */
function setColumns(argvVaries: boolean): TableColumn[] {
  const columns: TableColumn[] = [
    'cmd:output',
    'cmd:error',
    `env:${WrapperEnv.Attempt}`,
    `env:${WrapperEnv.Env}`,
    `attr:${Tag.Attempt}`,
    `attr:${Tag.SetIndex}`,
  ];
  if (argvVaries) columns.push(`env:${WrapperEnv.Argv}`);
  return columns;
}

/**
 * The indices `entries` as one table (proc i is entries[i]): the job an HPCJob with the template's spec
 * would get, tagged as the set's, and a row per index made only when the description is written.
 */
export function buildSetTable(
  set: HPCJobSet,
  entries: readonly IndexAttempt[],
  o: Omit<DescriptionOptions, 'memoryMiB'>,
): SubmitTable {
  const base = buildSubmitJob(filesJob(set), 1, o);
  const ref = setRef(set);
  const spec = set.spec.template;
  const argvVaries = Boolean(spec.command) && argsVary(spec.args);
  const baseEnv = base.commands.environment?.kind === 'env' ? base.commands.environment.value : {};
  const userEnv = (spec.env ?? []).map((e) => `${e.name}=${e.value ?? ''}`);
  const row = (i: number): (string | number)[] => {
    const { index, attempt } = entries[i] as IndexAttempt;
    const vars = indexVars(set, index);
    const values: (string | number)[] = [
      indexOutputName(index, 'stdout'),
      indexOutputName(index, 'stderr'),
      String(attempt),
      b64Dotted([...userEnv, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)]),
      attempt,
      index,
    ];
    if (argvVaries)
      values.push(b64Dotted([...(spec.command ?? []), ...(spec.args ?? []).map((a) => expand(a, vars))]));
    return values;
  };
  const template: SubmitJob = {
    commands: {
      ...base.commands,
      environment: s.env({ ...baseEnv, [WrapperEnv.Job]: ref }),
      batch_name: s.string(ref),
    },
    attributes: { ...base.attributes, [Tag.Ref]: SET_REF_PREFIX + ref },
  };
  return { template, columns: setColumns(argvVaries), size: entries.length, row };
}
