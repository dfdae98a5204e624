/**
 * Builds HTCondor submit descriptions in which every value is data (each value encoded by
 * submit-encoding.ts).
 *
 * Several jobs go into one description with a single `queue <vars> from (<table>)` statement: what is the
 * same for all is written once, what differs is a table column (renderSubmitDescriptions). The indices of an
 * HPCJobSet (up to 100,000) are written straight from one template job and their rows (renderSubmitTable),
 * without a job object per index.
 */
import {
  Memo,
  ROW_SAFE,
  SubmitDescriptionError,
  checkNames,
  classAdValue,
  encodeArgument,
  encodeValue,
  encodedPairs,
  s,
  type PairNames,
  type SubmitJob,
} from './submit-encoding.js';

export {
  SubmitDescriptionError,
  classAdLiteral,
  classAdString,
  expr,
  s,
  type ClassAdExpr,
  type ClassAdValue,
  type SubmitJob,
  type SubmitValue,
} from './submit-encoding.js';
export interface RenderedBatch {
  /** The submit description: one cluster, one proc per job. */
  description: string;
  /** Index in the input of the job that becomes proc i. */
  jobs: number[];
}

/** The command, environment and attribute names of `jobs`, each sorted (checked first). */
function namesOf(jobs: readonly SubmitJob[]): PairNames {
  const commandNames = new Set<string>();
  const envNames = new Set<string>();
  const attributeNames = new Set<string>();
  for (const job of jobs) {
    checkNames(job);
    for (const n of Object.keys(job.commands)) if (n !== 'environment') commandNames.add(n);
    const env = job.commands.environment;
    if (env?.kind === 'env') Object.keys(env.value).forEach((n) => envNames.add(n));
    Object.keys(job.attributes).forEach((n) => attributeNames.add(n));
  }
  return {
    commands: [...commandNames].sort(),
    env: [...envNames].sort(),
    attributes: [...attributeNames].sort(),
  };
}

/**
 * Renders jobs into as few submit descriptions as possible. Each is one cluster with a single
 * `queue <vars> from (...)` statement whose table rows carry what differs between its jobs (multiple queue
 * statements are deprecated and merge environments across procs). Jobs whose differing values cannot sit
 * in a table row go into separate descriptions. Throws SubmitDescriptionError for a value that cannot be
 * carried safely at all.
 */
export function renderSubmitDescriptions(jobs: readonly SubmitJob[]): RenderedBatch[] {
  if (jobs.length === 0) throw new SubmitDescriptionError('jobs', 'nothing to submit');
  const names = namesOf(jobs);
  const memo = new Memo();
  const pairs = jobs.map((j) => encodedPairs(j, names, memo));
  const keys = [...(pairs[0]?.keys() ?? [])];
  const groups = groupByFixedValues(pairs, keys, memo);
  return [...groups.values()].map((indexes) =>
    renderGroup(
      indexes.map((i) => pairs[i] as Map<string, string>),
      keys,
      names.env,
      indexes,
    ),
  );
}

function renderGroup(
  pairs: Map<string, string>[],
  keys: string[],
  envNames: string[],
  indexes: number[],
): RenderedBatch {
  const first = pairs[0] as Map<string, string>;
  const varying = keys.filter((k) => pairs.some((p) => p.get(k) !== first.get(k)));
  const macro = new Map(varying.map((k, i) => [k, `HPCV${i}`]));
  const lines = headerLines(keys, envNames, (k) =>
    macro.has(k) ? `$(${macro.get(k)})` : (first.get(k) as string),
  );
  if (varying.length === 0) {
    lines.push(`queue ${pairs.length}`);
  } else {
    // A table row per job, fields separated by commas (an empty field is an empty value).
    lines.push(`queue ${varying.map((k) => macro.get(k)).join(',')} from (`);
    for (const p of pairs) lines.push(varying.map((k) => p.get(k) as string).join(','));
    lines.push(')');
  }
  return { description: finish(lines), jobs: indexes };
}

/** The command, attribute and environment lines, each value as `valueOf` writes it (a macro, or the value). */
function headerLines(keys: string[], envNames: string[], valueOf: (key: string) => string): string[] {
  const lines: string[] = [];
  for (const k of keys) {
    if (k.startsWith('cmd:')) {
      const v = valueOf(k);
      lines.push(v === '' ? `${k.slice(4)} =` : `${k.slice(4)} = ${v}`);
    } else if (k.startsWith('attr:')) {
      lines.push(`MY.${k.slice(5)} = ${valueOf(k)}`);
    }
  }
  if (envNames.length > 0) {
    lines.push(`environment = "${envNames.map((n) => `${n}=${valueOf(`env:${n}`)}`).join(' ')}"`);
  }
  return lines;
}

/** The description's text, after the last line of defence against a continued line (every value is checked). */
function finish(lines: string[]): string {
  const continued = lines.find((l) => l.endsWith('\\'));
  if (continued !== undefined)
    throw new SubmitDescriptionError(
      'jobs',
      `a line would continue into the next: ${JSON.stringify(continued)}`,
    );
  return lines.join('\n') + '\n';
}

/** A column of a submit table: a submit command, an environment variable or a ClassAd attribute, by name. */
export type TableColumn = `cmd:${string}` | `env:${string}` | `attr:${string}`;

/**
 * One cluster whose procs differ only in a few plain values (an HPCJobSet's indices): the job they share and
 * one row of values per proc, made when written, so that 100,000 procs need no object each.
 */
export interface SubmitTable {
  /** What every proc shares. It holds each column too (any value), so that the column's line is written. */
  template: SubmitJob;
  columns: readonly TableColumn[];
  /** Number of procs. */
  size: number;
  /** Proc i's values of the columns, in their order: plain tokens (anything else is refused). */
  row: (i: number) => readonly (string | number)[];
}

/** The description of a table: the template once, then `queue <columns> from (...)` with a row per proc. */
export function renderSubmitTable(table: SubmitTable): string {
  if (table.size < 1) throw new SubmitDescriptionError('jobs', 'nothing to submit');
  const names = namesOf([table.template, columnsJob(table.columns)]);
  const pairs = encodedPairs(table.template, names, new Memo());
  const macro = new Map(table.columns.map((k, i) => [k as string, `HPCV${i}`]));
  const lines = headerLines([...pairs.keys()], names.env, (k) =>
    macro.has(k) ? `$(${macro.get(k)})` : (pairs.get(k) as string),
  );
  if (table.columns.length === 0) {
    lines.push(`queue ${table.size}`);
    return finish(lines);
  }
  lines.push(`queue ${[...macro.values()].join(',')} from (`);
  for (let i = 0; i < table.size; i++) lines.push(tableRow(table, i));
  lines.push(')');
  return finish(lines);
}

/** A job with every column (and a placeholder value): their names are checked and get their lines. */
function columnsJob(columns: readonly TableColumn[]): SubmitJob {
  const job: SubmitJob = { commands: {}, attributes: {} };
  const env: Record<string, string> = {};
  for (const c of columns) {
    const name = c.slice(c.indexOf(':') + 1);
    if (c.startsWith('env:')) env[name] = '';
    else if (c.startsWith('attr:')) job.attributes[name] = 0;
    else job.commands[name] = s.int(0);
  }
  if (Object.keys(env).length > 0) job.commands.environment = s.env(env);
  return job;
}

/** The jobs of a table, one object each: for models and tests (the real schedd gets renderSubmitTable's text). */
export function expandSubmitTable(table: SubmitTable): SubmitJob[] {
  return Array.from({ length: table.size }, (_, i) => {
    const values = table.row(i);
    const job: SubmitJob = {
      commands: { ...table.template.commands },
      attributes: { ...table.template.attributes },
    };
    const env = table.template.commands.environment;
    const vars: Record<string, string> = env?.kind === 'env' ? { ...env.value } : {};
    table.columns.forEach((c, k) => {
      const v = values[k] as string | number;
      const name = c.slice(c.indexOf(':') + 1);
      if (c.startsWith('env:')) vars[name] = String(v);
      else if (c.startsWith('attr:')) job.attributes[name] = v;
      else job.commands[name] = typeof v === 'number' ? s.int(v) : s.string(v);
    });
    if (env?.kind === 'env' || table.columns.some((c) => c.startsWith('env:')))
      job.commands.environment = s.env(vars);
    return job;
  });
}

/** Proc i's row: each value encoded by its column's kind, and refused unless it can sit in a row. */
function tableRow(table: SubmitTable, i: number): string {
  const values = table.row(i);
  if (values.length !== table.columns.length)
    throw new SubmitDescriptionError(
      'jobs',
      `row ${i} has ${values.length} values for ${table.columns.length} columns`,
    );
  return table.columns.map((c, k) => rowValue(c, i, values[k] as string | number)).join(',');
}

/** One value of row i, encoded by its column's kind; errors name the column and the row. */
function rowValue(column: TableColumn, i: number, v: string | number): string {
  const name = column.slice(column.indexOf(':') + 1);
  let encoded: string;
  try {
    // Not memoised: a row's values are its own, and 100,000 of them need not be kept.
    encoded = column.startsWith('env:')
      ? encodeArgument(`environment.${name}`, String(v))
      : column.startsWith('attr:')
        ? classAdValue(name, v)
        : encodeValue(name, typeof v === 'number' ? s.int(v) : s.string(v));
  } catch (e) {
    throw new SubmitDescriptionError(column, `row ${i}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // An empty command in a row is left at proc 0's value by HTCondor (see groupByFixedValues).
  if (!ROW_SAFE.test(encoded) || (column.startsWith('cmd:') && encoded === ''))
    throw new SubmitDescriptionError(
      column,
      `row ${i}: ${JSON.stringify(String(v).slice(0, 80))} cannot sit in a table row`,
    );
  return encoded;
}

/**
 * Groups jobs that agree on every value that cannot vary inside a table. An empty command value is one:
 * HTCondor leaves a command that is empty in a table row at the first job's value (the cluster ad), so a job
 * without transfer_input_files would get another job's files (a chirp ticket, say). Values are told apart by
 * a small number per distinct value of each key, so that 100,000 jobs make no long keys.
 */
function groupByFixedValues(pairs: Map<string, string>[], keys: string[], memo: Memo): Map<string, number[]> {
  const ids = new Map<string, Map<string, number>>(keys.map((k) => [k, new Map()]));
  const groups = new Map<string, number[]>();
  pairs.forEach((p, i) => {
    const fixed: string[] = [];
    for (const k of keys) {
      const v = p.get(k) as string;
      if (memo.rowSafe(v) && !(k.startsWith('cmd:') && v === '')) continue;
      const seen = ids.get(k) as Map<string, number>;
      let id = seen.get(v);
      if (id === undefined) seen.set(v, (id = seen.size));
      fixed.push(`${k}#${id}`);
    }
    const g = fixed.join(',');
    const members = groups.get(g);
    if (members) members.push(i);
    else groups.set(g, [i]);
  });
  return groups;
}

/** Renders jobs that must go in one description (one cluster); throws if they cannot. */
export function renderSubmitDescription(jobs: readonly SubmitJob[]): string {
  const batches = renderSubmitDescriptions(jobs);
  if (batches.length !== 1) {
    throw new SubmitDescriptionError(
      'jobs',
      `these jobs need ${batches.length} descriptions (values that differ cannot share one)`,
    );
  }
  return (batches[0] as RenderedBatch).description;
}
