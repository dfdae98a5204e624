/** Small pieces the commands share. */
import { randomBytes } from 'node:crypto';
import { durationMs } from '../../util/units.js';
import type { HPCJob } from '../../crds/hpcjob.js';
import { UsageError, boolFlag, stringFlag } from '../args.js';
import { namespaceOf, type CliContext } from '../command.js';
import { CliError } from '../errors.js';

/** The one HPCJob name a command takes. */
export function requireName(ctx: CliContext, command: string): string {
  const [name, ...rest] = ctx.args.positionals;
  if (!name) throw new UsageError(`${command} needs the name of an HPCJob`);
  if (rest.length > 0)
    throw new UsageError(`${command} takes one HPCJob, not ${ctx.args.positionals.length}`);
  return name;
}

/**
 * The one HPCJob a command names: in -n's namespace (or the context's), or with -A wherever it is. A name
 * found in several namespaces is an error that lists them: guessing would show or act on the wrong job.
 */
export async function namedHPCJob(ctx: CliContext, command: string): Promise<HPCJob> {
  const name = requireName(ctx, command);
  if (!boolFlag(ctx.args, 'all-namespaces')) return ctx.kube().getHPCJob(namespaceOf(ctx), name);
  if (stringFlag(ctx.args, 'namespace') !== undefined) throw new UsageError('use -n or -A, not both');
  const found = (await ctx.kube().listHPCJobs(undefined)).filter((j) => j.metadata.name === name);
  const [only, ...more] = found;
  if (!only) throw new CliError(`no HPCJob named ${name} in any namespace`);
  if (more.length > 0) {
    const where = found.map((j) => j.metadata.namespace).join(', ');
    throw new CliError(`HPCJobs named ${name} are in several namespaces (${where}): pick one with -n`);
  }
  return only;
}

/**
 * A new value for the retry or cancel annotation. The operator acts on any value it has not recorded yet, so
 * the value only has to differ from every earlier one: the time plus randomness, short enough for status.
 */
export function newToken(now: number): string {
  return `${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A duration flag (`90s`, `1h30m`) in ms, or undefined when not given. */
export function durationFlag(ctx: CliContext, name: string): number | undefined {
  const v = stringFlag(ctx.args, name);
  if (v === undefined) return undefined;
  try {
    return durationMs(v);
  } catch {
    throw new UsageError(`--${name} takes a duration such as 90s or 1h, not ${JSON.stringify(v)}`);
  }
}
