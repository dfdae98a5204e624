/**
 * Validation beyond what the CRD schema and CEL rules can say: that the requirements are a sane ClassAd
 * expression, that a REANA workspace path has the REANA layout, that the image is a reference a container
 * runtime can take, and that what goes to the wrapper fits in a job environment. A failure never reaches a
 * batch system: the HPCJob gets Accepted=False with the field and the reason.
 */
import {
  ABS_PATH_PATTERN,
  HPCJobDefaults,
  MAX_ENV_VALUE,
  OCI_REF_BODY,
  SAFE_PATH_BODY,
  type HPCJobSpec,
} from '../../crds/hpcjob.js';
import { classAdComments, classAdSyntaxError } from '../../condor/classad-syntax.js';
import { durationProblem, quantityProblem } from '../../util/units.js';
import { b64, b64Words } from '../../wrapper-contract.js';

export interface ValidationError {
  field: string;
  reason: string;
  message: string;
}

/** Largest total payload, so that the job ad and the environment stay small. */
export const MAX_TOTAL_PAYLOAD = 512 * 1024;

/** <root>/users/<uuid>/workflows/<id>[/...]: REANA's layout under any root (/reana, /var/reana, /eos/...). */
export const REANA_WORKSPACE = /^(\/[^/]+)*\/users\/[A-Za-z0-9._-]+\/workflows\/[A-Za-z0-9._-]+(\/.*)?$/;
const OCI_REF = new RegExp(`^${OCI_REF_BODY}$`);
const SAFE_PATH = new RegExp(`^${SAFE_PATH_BODY}$`);
const ABS_PATH = new RegExp(ABS_PATH_PATTERN);
/** A `.` or `..` component anywhere in a path. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

/**
 * A workspace path the staging tools may use with the submitter's rights: absolute, plain characters, no
 * empty, `.` or `..` components (the same as the CRD's pattern and CEL rule, which objects stored before
 * them never passed), in the REANA layout.
 */
export function workspaceProblem(path: string): string | undefined {
  if (!ABS_PATH.test(path) || DOT_SEGMENT.test(path))
    return 'is not an absolute path of plain components (no empty, "." or ".." components)';
  if (!REANA_WORKSPACE.test(path)) return 'is not in the REANA layout <root>/users/<uuid>/workflows/<id>';
  return undefined;
}

/** The first problem of a spec, in the order the checks are listed; undefined when it may be submitted. */
export function validateSpec(spec: HPCJobSpec): ValidationError | undefined {
  return specProblems(spec)[0];
}

/** Every problem of a spec, one per check, in the order the checks are listed (the admission webhook's list). */
export function specProblems(spec: HPCJobSpec): ValidationError[] {
  const checks = [requirementsError, imageError, workspaceError, quantityError, walltimeError, payloadError];
  return checks.map((check) => check(spec)).filter((e): e is ValidationError => e !== undefined);
}

function requirementsError(spec: HPCJobSpec): ValidationError | undefined {
  if (spec.requirements === undefined) return undefined;
  const problem = classAdProblem(spec.requirements);
  if (!problem) return undefined;
  return {
    field: 'spec.requirements',
    reason: 'InvalidRequirements',
    message: `spec.requirements: ${problem}`,
  };
}

function imageError(spec: HPCJobSpec): ValidationError | undefined {
  if (spec.image === undefined) return undefined;
  const problem = imageProblem(spec.image);
  if (!problem) return undefined;
  return {
    field: 'spec.image',
    reason: 'InvalidImage',
    message: `spec.image ${JSON.stringify(spec.image)}: ${problem}`,
  };
}

/**
 * The staging tools read and write the workspace with the submitter's rights on the submit side: only a
 * REANA workspace, never an arbitrary path (the CRD says the same for objects created since it does).
 */
function workspaceError(spec: HPCJobSpec): ValidationError | undefined {
  const problem = spec.workspace ? workspaceProblem(spec.workspace.path) : undefined;
  if (!spec.workspace || !problem) return undefined;
  return {
    field: 'spec.workspace.path',
    reason: 'InvalidWorkspace',
    message: `spec.workspace.path ${JSON.stringify(spec.workspace.path)} ${problem}`,
  };
}

/** spec.workspace.maxOutputBytes above what this operator allows (its ceiling). */
export function outputLimitError(spec: HPCJobSpec, ceiling: number): ValidationError | undefined {
  const asked = spec.workspace?.maxOutputBytes;
  if (asked === undefined || asked <= ceiling) return undefined;
  return {
    field: 'spec.workspace.maxOutputBytes',
    reason: 'InvalidWorkspace',
    message: `spec.workspace.maxOutputBytes is ${asked}; this operator allows at most ${ceiling} (--max-output-bytes-ceiling)`,
  };
}

function quantityError(spec: HPCJobSpec): ValidationError | undefined {
  const r = spec.resources ?? {};
  for (const [field, q] of [
    ['spec.resources.memory', r.memory ?? HPCJobDefaults.memory],
    ['spec.resources.disk', r.disk],
  ] as const) {
    const problem = q === undefined ? undefined : quantityProblem(q);
    if (problem)
      return { field, reason: 'InvalidQuantity', message: `${field} ${JSON.stringify(q)} ${problem}` };
  }
  return undefined;
}

function walltimeError(spec: HPCJobSpec): ValidationError | undefined {
  const walltime = spec.resources?.walltime;
  if (walltime === undefined) return undefined;
  const problem = durationProblem(walltime);
  if (!problem) return undefined;
  return {
    field: 'spec.resources.walltime',
    reason: 'InvalidDuration',
    message: `spec.resources.walltime ${JSON.stringify(walltime)} ${problem}`,
  };
}

/** What goes to the wrapper in its environment must fit there, one variable and all of them together. */
function payloadError(spec: HPCJobSpec): ValidationError | undefined {
  const payloads: [string, string][] = [
    ['spec.command/args', b64Words([...(spec.command ?? []), ...(spec.args ?? [])])],
    ['spec.script', spec.script !== undefined ? b64(spec.script) : ''],
    ['spec.env', b64Words((spec.env ?? []).map((e) => `${e.name}=${e.value ?? ''}`))],
    ['spec.workspace.inputs', b64Words(spec.workspace?.inputs ?? [])],
    ['spec.workspace.outputs', b64Words(spec.workspace?.outputs ?? [])],
  ];
  let total = 0;
  for (const [field, encoded] of payloads) {
    total += encoded.length;
    if (encoded.length > MAX_ENV_VALUE) {
      return {
        field,
        reason: 'TooLarge',
        message: `${field} is ${encoded.length} bytes once encoded; at most ${MAX_ENV_VALUE} fit in a job environment variable`,
      };
    }
  }
  if (total > MAX_TOTAL_PAYLOAD) {
    return {
      field: 'spec',
      reason: 'TooLarge',
      message: `command, script, env and staging lists are ${total} bytes once encoded; at most ${MAX_TOTAL_PAYLOAD}`,
    };
  }
  return undefined;
}

export function imageProblem(image: string): string | undefined {
  if (image.startsWith('dir://')) {
    return SAFE_PATH.test(image.slice('dir://'.length))
      ? undefined
      : 'dir:// needs an absolute path of plain characters';
  }
  if (image.startsWith('/'))
    return SAFE_PATH.test(image) ? undefined : 'a local image path must be absolute and of plain characters';
  for (const scheme of ['docker://', 'oras://', 'shifter://']) {
    if (image.startsWith(scheme))
      return OCI_REF.test(image.slice(scheme.length)) ? undefined : 'not a valid image reference';
  }
  if (/^[a-z]+:\/\//.test(image))
    return 'unknown scheme (use docker://, oras://, shifter://, dir:// or an absolute path)';
  return OCI_REF.test(image) ? undefined : 'not a valid image reference';
}

/**
 * Where the operator puts a requirements expression: inside its own parentheses, which condor_submit puts in
 * parentheses again (description.ts, and Requirements = ((ours) && (yours)) && (...) in the job ad).
 */
export const REQUIREMENTS_WITHIN = ['((', '))'] as const;

/**
 * What is wrong with a requirements expression, if anything: what HTCondor would refuse to parse where the
 * operator puts it (classad-syntax.ts, a model of HTCondor's parser), and what the operator refuses although
 * HTCondor would take it:
 * - control characters, even inside strings (the submit language ends a line there);
 * - `$(` and `$$`, even inside strings (submit macros no escape carries);
 * - an expression that parses only once embedded (`true) || (true` closes the operator's parenthesis and
 *   escapes its VirtualCluster clause): it must parse on its own too;
 * - comments: HTCondor drops them, so `/* ( *\/ ) || ( x /* ) *\/` can do the same.
 */
export function classAdProblem(expr: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  const control = /[\x00-\x08\x0a-\x1f\x7f]/.exec(expr);
  if (control) return `control character ${JSON.stringify(control[0])} (line breaks are not allowed)`;
  const macro = /\$[($]/.exec(expr);
  if (macro)
    return `"${macro[0]}" at column ${macro.index + 1}: submit macros ("$(" or "$$") are not allowed`;
  if (expr.trim() === '') return 'empty expression';
  const comment = classAdComments(expr)[0];
  if (comment !== undefined)
    return `comment at column ${comment + 1}: comments are not allowed (HTCondor drops them, which can move what the parentheses enclose)`;
  const embedded = classAdSyntaxError(expr, REQUIREMENTS_WITHIN);
  const alone = classAdSyntaxError(expr);
  // Where both fail, the message about the expression alone points at the user's own text.
  if (embedded) return `HTCondor cannot parse it: ${(alone ?? embedded).message}`;
  if (alone)
    return `it is not an expression on its own (the operator puts it in parentheses): ${alone.message}`;
  return undefined;
}
