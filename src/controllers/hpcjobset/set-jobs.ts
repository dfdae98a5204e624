/**
 * The HTCondor jobs of an HPCJobSet's indices: each is the job an HPCJob with the template's spec would get
 * (controllers/hpcjob/description.ts), plus what differs per index: HPC_INDEX and HPC_ITEM_<KEY> in the
 * step's environment, args with $(NAME) replaced, the attempt, its own stdout/stderr names and the
 * HPCJobSetIndex tag. Everything that differs is a plain token (a number, or base64 words joined by dots),
 * so that all indices sit in one `queue ... from` table: one condor_submit, one cluster.
 */
import { s, type SubmitJob } from '../../condor/submit-description.js';
import { Tag } from '../../condor/tags.js';
import { API_VERSION } from '../../crds/common.js';
import { HPCJOB_KIND, type HPCJob } from '../../crds/hpcjob.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { WrapperEnv, b64Dotted } from '../../wrapper-contract.js';
import { buildSubmitJob, type DescriptionOptions } from '../hpcjob/description.js';
import { argsVary, expand, indexVars } from './index-env.js';

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

/** The jobs for `entries`, in their order (proc i is entries[i]). */
export function buildSetJobs(
  set: HPCJobSet,
  entries: readonly IndexAttempt[],
  o: Omit<DescriptionOptions, 'memoryMiB'>,
): SubmitJob[] {
  const base = buildSubmitJob(filesJob(set), 1, o);
  const ref = setRef(set);
  const spec = set.spec.template;
  const varying = argsVary(spec.args);
  const baseEnv = base.commands.environment?.kind === 'env' ? base.commands.environment.value : {};
  const userEnv = (spec.env ?? []).map((e) => `${e.name}=${e.value ?? ''}`);
  return entries.map(({ index, attempt }) => {
    const vars = indexVars(set, index);
    const env: Record<string, string> = {
      ...baseEnv,
      [WrapperEnv.Job]: ref,
      [WrapperEnv.Attempt]: String(attempt),
      [WrapperEnv.Env]: b64Dotted([...userEnv, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)]),
    };
    if (spec.command && varying)
      env[WrapperEnv.Argv] = b64Dotted([...spec.command, ...(spec.args ?? []).map((a) => expand(a, vars))]);
    return {
      commands: {
        ...base.commands,
        environment: s.env(env),
        batch_name: s.string(ref),
        output: s.string(`hpc-${index}.stdout`),
        error: s.string(`hpc-${index}.stderr`),
      },
      attributes: {
        ...base.attributes,
        [Tag.Ref]: SET_REF_PREFIX + ref,
        [Tag.Attempt]: attempt,
        [Tag.SetIndex]: index,
      },
    };
  });
}
