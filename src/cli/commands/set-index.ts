/**
 * `--index N` of `kubectl hpc status|describe|logs hpcjobset/NAME`: one index of an HPCJobSet. The set is
 * read from the API server (so the user needs get on it, as for any describe); status and describe print
 * what its status says of the index (src/cli/set-index.ts), logs go through the operator (logs-set.ts).
 */
import { UsageError, intFlag, stringFlag, type FlagSpec } from '../args.js';
import { namespaceOf, type CliContext } from '../command.js';
import { render, type OutputFormat } from '../format.js';
import { checkIndex, describeIndex, indexReport, indexStatusTable } from '../set-index.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { namedHPCJobSet } from './describe-set.js';

export const INDEX_FLAG: FlagSpec = {
  name: 'index',
  type: 'int',
  placeholder: 'N',
  help: 'One index of the HPCJobSet named hpcjobset/NAME (from 0).',
};

/** --index, when given: then the command must name one HPCJobSet (hpcjobset/NAME). */
export function indexFlag(ctx: CliContext): number | undefined {
  return intFlag(ctx.args, 'index');
}

/** The one HPCJobSet an --index command names: hpcjobset/NAME (or, for status, a plain NAME). */
export async function setForIndex(ctx: CliContext, command: string, plain = false): Promise<HPCJobSet> {
  const [name, ...rest] = ctx.args.positionals;
  if (!name || rest.length > 0)
    throw new UsageError(`${command} --index takes one HPCJobSet: ${command} hpcjobset/NAME --index N`);
  const set = await namedHPCJobSet(ctx);
  if (set) return set;
  if (plain && !name.includes('/')) return ctx.kube().getHPCJobSet(namespaceOf(ctx), name);
  throw new UsageError(`--index is for an HPCJobSet: ${command} hpcjobset/${name} --index N`);
}

/** `kubectl hpc status hpcjobset/NAME --index N [-o json|yaml]`. */
export async function statusOfIndex(ctx: CliContext, index: number): Promise<number> {
  if (ctx.args.flags.has('watch')) throw new UsageError('--watch is not for one index');
  const set = await setForIndex(ctx, 'status', true);
  const report = indexReport(set, checkIndex(set, index));
  const output = stringFlag(ctx.args, 'output');
  if (output && output !== 'wide' && output !== 'name') ctx.out.write(render(report, output as OutputFormat));
  else ctx.out.write(indexStatusTable(report));
  return 0;
}

/** `kubectl hpc describe hpcjobset/NAME --index N`. */
export async function describeOfIndex(ctx: CliContext, index: number): Promise<number> {
  const set = await setForIndex(ctx, 'describe');
  ctx.out.write(describeIndex(set, checkIndex(set, index), ctx.now()));
  return 0;
}
