/** Small pieces the commands share. */
import { randomBytes } from 'node:crypto';
import { durationMs } from '../../util/units.js';
import { UsageError, stringFlag } from '../args.js';
import type { CliContext } from '../command.js';

/** The one HPCJob name a command takes. */
export function requireName(ctx: CliContext, command: string): string {
  const [name, ...rest] = ctx.args.positionals;
  if (!name) throw new UsageError(`${command} needs the name of an HPCJob`);
  if (rest.length > 0)
    throw new UsageError(`${command} takes one HPCJob, not ${ctx.args.positionals.length}`);
  return name;
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
