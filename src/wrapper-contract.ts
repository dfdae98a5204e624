/**
 * The contract between the operator and the job wrapper (wrapper/hpc-wrapper.sh), documented for sites in
 * wrapper/README.md. Everything a user wrote travels base64-encoded, one word per item, so no value can
 * inject into the submit description or the wrapper's shell.
 */

/** Environment variables the operator sets for the wrapper. */
export const WrapperEnv = {
  Job: 'HPC_JOB',
  Attempt: 'HPC_ATTEMPT',
  /** Space-separated base64 words: argv of the step (command then args). */
  Argv: 'HPC_ARGV',
  /** base64 of a shell script (instead of argv). */
  Script: 'HPC_SCRIPT',
  /** Space-separated base64 words, each NAME=VALUE. */
  Env: 'HPC_ENV',
  Image: 'HPC_IMAGE',
  Runtime: 'HPC_RUNTIME',
  Workspace: 'HPC_WORKSPACE',
  Staging: 'HPC_STAGING',
  Workdir: 'HPC_WORKDIR',
  /** Space-separated base64 words: paths/globs relative to the workspace. */
  Inputs: 'HPC_INPUTS',
  Outputs: 'HPC_OUTPUTS',
  /** staging cctools: host:port of the chirp_server. */
  ChirpServer: 'HPC_CHIRP_SERVER',
  /** staging cctools: base64 of the workspace-path prefix the chirp_server exports as its root. */
  ChirpRoot: 'HPC_CHIRP_ROOT',
  /** staging condor-transfer: the scratch subdirectory HTCondor put the workspace in. */
  TransferDir: 'HPC_TRANSFER_DIR',
  /** The most bytes the wrapper stages back (decimal). */
  MaxOutputBytes: 'HPC_MAX_OUTPUT_BYTES',
  /**
   * A gang step's nodes (decimal, above 1): node 0's wrapper runs the step across the pilot's nodes with the
   * pilot's batch system's launcher (HPC_PILOT_BATCH, HPC_PILOT_NODES, HPC_PILOT_HOSTS in the starter's
   * environment, src/sites/pilot-nodes.ts); the
   * other nodes' wrappers wait.
   */
  StepNodes: 'HPC_STEP_NODES',
} as const;

/** Exit codes the wrapper uses for its own failures; anything else is the step's own exit code. */
export const WrapperExit = {
  UsageError: 120,
  NoRuntime: 121,
  StageInFailed: 122,
  StageOutFailed: 123,
  OutputTooLarge: 124,
} as const;

/** The wrapper's report, set on the job ad as HPCWrapperResult (JSON) and written to a file. */
export interface WrapperResult {
  exitCode?: number;
  /** The signal the wrapper died by after reporting: the step's, or the one it was sent (terminated). */
  signal?: number;
  /** terminated: the wrapper was sent SIGTERM, SIGINT or SIGHUP (HTCondor's removal, hold, eviction). */
  category?:
    | 'ok'
    | 'exit'
    | 'signal'
    | 'terminated'
    | 'no-runtime'
    | 'stage-in'
    | 'stage-out'
    | 'output-too-large'
    | 'wrapper';
  runtime?: string;
  stageInSeconds?: number;
  runSeconds?: number;
  stageOutSeconds?: number;
  bytesIn?: number;
  bytesOut?: number;
  message?: string;
}

/** Encodes one value as a base64 word (UTF-8). */
export function b64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

export function b64Words(values: readonly string[]): string {
  return values.map(b64).join(' ');
}

/**
 * Encodes values as base64 words separated by dots, which the wrapper reads like spaces (base64 has no dot):
 * one token that can sit in a row of a submit description's `queue ... from` table (an HPCJobSet's per-index
 * argv and environment).
 */
export function b64Dotted(values: readonly string[]): string {
  return values.map(b64).join('.');
}
