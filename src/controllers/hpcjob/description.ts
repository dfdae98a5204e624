/**
 * The HTCondor job for one attempt of an HPCJob. The executable is the job wrapper, shipped with the job
 * (spooled by condor_submit -spool, never assumed present on the site); everything the user wrote goes to
 * the wrapper base64-encoded in its environment. Tags identify the attempt for tracking and adoption.
 */
import { expr, s, type SubmitJob } from '../../condor/submit-description.js';
import { LEAVE_IN_QUEUE, Tag } from '../../condor/tags.js';
import { HPCJobDefaults, type HPCJob } from '../../crds/hpcjob.js';
import { durationMs, quantityKiB, quantityMiB } from '../../util/units.js';
import { WrapperEnv, b64, b64Words } from '../../wrapper-contract.js';

export interface DescriptionOptions {
  operatorId: string;
  /** Local path of the wrapper script (uploaded with the job). */
  wrapperPath: string;
  /** The attempt's directory on the operator's side: the job's initialdir, where condor_transfer_data puts its output. */
  attemptDir: string;
  /** namespace/name of the VirtualCluster the job must run on, if any. */
  virtualCluster?: string;
  /** How long the step needs a pilot for (s), when its walltime or the VirtualCluster's default says. */
  walltimeNeededSeconds?: number;
  /** Memory for this attempt, when a retry rule raised it. */
  memoryMiB?: number;
  /** Local files shipped with the job into its scratch directory (a chirp ticket; the workspace for condor-transfer). */
  inputFiles?: string[];
  /** staging condor-transfer: the directory name the workspace arrives under in scratch. */
  transferDir?: string;
  /** What the wrapper may stage back (HPC_MAX_OUTPUT_BYTES). */
  maxOutputBytes?: number;
}

/** The job's side of walltime-aware matching, written against its own HPCWalltimeNeeded (one for a batch). */
export const WALLTIME_REQUIREMENT =
  '(MY.HPCWalltimeNeeded =?= undefined || TARGET.HPCPilotEnd =?= undefined || TARGET.HPCPilotEnd - time() >= MY.HPCWalltimeNeeded)';

export const STDOUT_FILE = 'hpc.stdout';
export const STDERR_FILE = 'hpc.stderr';

/** Nodes of a step: above 1 it is a gang step (HTCondor's parallel universe). */
export function stepNodes(job: HPCJob): number {
  return job.spec.resources?.nodes ?? 1;
}

export function attemptLogDir(logDir: string, job: HPCJob, attempt: number): string {
  return `${logDir}/${job.metadata.namespace}/${job.metadata.name}/${attempt}`;
}

export function memoryMiBOf(job: HPCJob): number {
  return quantityMiB(job.spec.resources?.memory ?? HPCJobDefaults.memory);
}

/** namespace/name: the job's batch name and its Ref tag. */
function jobRef(job: HPCJob): string {
  return `${job.metadata.namespace}/${job.metadata.name}`;
}

/** What the wrapper is told, in its environment: everything the user wrote, base64-encoded where free-form. */
function wrapperEnv(job: HPCJob, attempt: number, o: DescriptionOptions): Record<string, string> {
  const spec = job.spec;
  const env: Record<string, string> = {
    [WrapperEnv.Job]: jobRef(job),
    [WrapperEnv.Attempt]: String(attempt),
    [WrapperEnv.Runtime]: spec.image ? (spec.containerRuntime ?? HPCJobDefaults.containerRuntime) : 'none',
  };
  if (spec.command) env[WrapperEnv.Argv] = b64Words([...spec.command, ...(spec.args ?? [])]);
  if (spec.script !== undefined) env[WrapperEnv.Script] = b64(spec.script);
  if (spec.env?.length) env[WrapperEnv.Env] = b64Words(spec.env.map((e) => `${e.name}=${e.value ?? ''}`));
  if (spec.image) env[WrapperEnv.Image] = b64(spec.image);
  if (spec.workspace) {
    env[WrapperEnv.Workspace] = b64(spec.workspace.path);
    env[WrapperEnv.Staging] = spec.workspace.staging ?? HPCJobDefaults.staging;
    if (spec.workspace.chirp?.server) env[WrapperEnv.ChirpServer] = spec.workspace.chirp.server;
    if (spec.workspace.chirp?.root) env[WrapperEnv.ChirpRoot] = b64(spec.workspace.chirp.root);
    if (o.transferDir) env[WrapperEnv.TransferDir] = o.transferDir;
    if (spec.workspace.inputs?.length) env[WrapperEnv.Inputs] = b64Words(spec.workspace.inputs);
    if (spec.workspace.outputs?.length) env[WrapperEnv.Outputs] = b64Words(spec.workspace.outputs);
    if (o.maxOutputBytes !== undefined) env[WrapperEnv.MaxOutputBytes] = String(o.maxOutputBytes);
  }
  if (spec.workingDir) env[WrapperEnv.Workdir] = b64(spec.workingDir);
  if (stepNodes(job) > 1) env[WrapperEnv.StepNodes] = String(stepNodes(job));
  return env;
}

/** Where the job may run, as one expression. */
function requirementsOf(job: HPCJob, o: DescriptionOptions): string {
  // Pilot slots advertise VirtualCluster; a job runs only where it matches its own (undefined: plain slots).
  // Written against the job's attribute so that the expression is the same for a whole batch.
  const requirements = ['(TARGET.VirtualCluster =?= MY.HPCVirtualCluster)'];
  // A pilot advertises when it ends: the step goes only where it will finish first (slots without an end,
  // or steps without a need, match as before). The pilot's START says the same for claims it is asked to reuse.
  if (o.virtualCluster) requirements.push(WALLTIME_REQUIREMENT);
  const nodes = stepNodes(job);
  // A gang step takes every node of one pilot of its size (the ParallelSchedulingGroup keeps it inside one).
  if (nodes > 1) requirements.push(`(TARGET.HPCPilotNodes =?= ${nodes})`);
  if (job.spec.requirements) requirements.push(`(${job.spec.requirements})`);
  return requirements.join(' && ');
}

export function buildSubmitJob(job: HPCJob, attempt: number, o: DescriptionOptions): SubmitJob {
  const spec = job.spec;
  const ref = jobRef(job);
  const env = wrapperEnv(job, attempt, o);
  const nodes = stepNodes(job);
  const r = spec.resources ?? {};
  const commands: SubmitJob['commands'] = {
    universe: s.string(nodes > 1 ? 'parallel' : 'vanilla'),
    executable: s.string(o.wrapperPath),
    transfer_executable: s.bool(true),
    environment: s.env(env),
    initialdir: s.string(o.attemptDir),
    // A gang step's output is node 0's, where the launcher gathers every rank's. The other nodes never end on
    // their own (the wrapper holds them until HTCondor ends them with node 0), so theirs never comes back over
    // it. A name per node ($(Node)) cannot be used: condor_transfer_data of a spooled parallel job looks for
    // the unexpanded name (HTCondor 23.9: "hpc.stdout.#pArAlLeLnOdE#: No such file").
    output: s.string(STDOUT_FILE),
    error: s.string(STDERR_FILE),
    should_transfer_files: s.string('YES'),
    // On exit only, failed or not. ON_EXIT_OR_EVICT also spools what an evicted or held run left, and then
    // sends back only what the next run changes: an output file the restarted run left empty stays out of
    // the spool, and condor_transfer_data fails on it for good (seen on HTCondor 23.9 after a hold and a
    // release). What an interrupted step did reaches the workspace through the wrapper's own stage-out.
    when_to_transfer_output: s.string('ON_EXIT'),
    request_cpus: s.int(r.cpus ?? HPCJobDefaults.cpus),
    request_memory: s.int(o.memoryMiB ?? memoryMiBOf(job)),
    // The wrapper reports its result and stages through the job's IO proxy (condor_chirp).
    want_io_proxy: s.bool(true),
    batch_name: s.string(ref),
    leave_in_queue: s.expr(expr(LEAVE_IN_QUEUE)),
  };
  if (o.inputFiles?.length) commands.transfer_input_files = s.list(o.inputFiles);
  // condor-transfer: the wrapper hands changed files over in hpc-results; its report comes along.
  if (o.transferDir) commands.transfer_output_files = s.list(['hpc-results', 'hpc-result.json']);
  if (r.disk !== undefined) commands.request_disk = s.int(quantityKiB(r.disk));
  if (r.gpus) commands.request_gpus = s.int(r.gpus);
  if (r.walltime) commands.allowed_execute_duration = s.int(Math.ceil(durationMs(r.walltime) / 1000));
  commands.requirements = s.expr(expr(requirementsOf(job, o)));
  if (spec.accountingGroup) commands.accounting_group = s.string(spec.accountingGroup);
  if (nodes > 1) commands.machine_count = s.int(nodes);

  const attributes: SubmitJob['attributes'] = {
    [Tag.Operator]: o.operatorId,
    [Tag.JobUID]: job.metadata.uid as string,
    [Tag.Attempt]: attempt,
    [Tag.Ref]: ref,
  };
  attributes.HPCVirtualCluster = o.virtualCluster ?? null;
  if (o.virtualCluster) attributes.HPCWalltimeNeeded = o.walltimeNeededSeconds ?? null;
  // Nodes of one pilot only: its startds share a ParallelSchedulingGroup (src/sites/pilot-nodes.ts).
  if (nodes > 1) attributes.WantParallelSchedulingGroups = true;
  return { commands, attributes };
}
