/**
 * How each value is written into an HTCondor submit description so that it stays data.
 *
 * The submit language is line based (a newline starts a new command, a `queue` line submits), expands
 * `$(macro)` everywhere, treats a trailing backslash as a line continuation and gives quotes and spaces a
 * meaning inside `arguments` and `environment`. So each kind of value has its own encoder below, and a value
 * that one kind cannot carry (a newline in an argument) is refused with an error instead of being mangled.
 * Callers that must pass arbitrary text (a user's script) pass it base64-encoded in the environment.
 *
 * The descriptions themselves are put together in submit-description.ts.
 */

/** A value of a ClassAd attribute (`+Name = value`). */
export type ClassAdValue = string | number | boolean | ClassAdExpr | null;

/** A ClassAd expression kept as an expression (e.g. requirements). Build it with `expr()` after validating it. */
export interface ClassAdExpr {
  readonly expr: string;
}

/** Typed submit command values; each is encoded by its own rules. */
export type SubmitValue =
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'expr'; value: ClassAdExpr }
  | { kind: 'args'; value: readonly string[] }
  | { kind: 'env'; value: Readonly<Record<string, string>> }
  | { kind: 'list'; value: readonly string[] };

/** One job: submit commands plus custom ClassAd attributes. */
export interface SubmitJob {
  commands: Record<string, SubmitValue>;
  attributes: Record<string, ClassAdValue>;
}

export class SubmitDescriptionError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SubmitDescriptionError';
  }
}

export const s = {
  string: (value: string): SubmitValue => ({ kind: 'string', value }),
  int: (value: number): SubmitValue => ({ kind: 'int', value }),
  bool: (value: boolean): SubmitValue => ({ kind: 'bool', value }),
  expr: (value: ClassAdExpr): SubmitValue => ({ kind: 'expr', value }),
  args: (value: readonly string[]): SubmitValue => ({ kind: 'args', value }),
  env: (value: Readonly<Record<string, string>>): SubmitValue => ({ kind: 'env', value }),
  list: (value: readonly string[]): SubmitValue => ({ kind: 'list', value }),
};

export function expr(text: string): ClassAdExpr {
  return { expr: text };
}

/** Submit command names and ClassAd attribute names: letters, digits, `_` (and `.` for commands). */
const COMMAND_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters no line-based value may carry: they would end the line or be cut by the C string reader. */
const LINE_BREAKERS = /[\n\r\0]/;
/** Keywords of the submit language that must never start a line of ours (`queue` would submit). */
const RESERVED_COMMANDS = new Set(['queue', 'include', 'if', 'elif', 'else', 'endif']);

/**
 * `$` starts a macro everywhere in a submit file. A lone `$` is written `$(DOLLAR)`. But `$(` and `$$` have
 * no escape that survives both expansions (at submit, `$(DOLLAR)(DOLLAR)` is rescanned into `$`; `$$(` is
 * kept and expanded again when the job is matched), so values holding them are refused: such text must
 * travel base64-encoded (the job wrapper's contract does that for everything a user writes).
 */
function escapeDollars(text: string, field: string): string {
  if (/\$[($]/.test(text)) {
    throw new SubmitDescriptionError(field, 'must not contain "$(" or "$$" (pass such text base64-encoded)');
  }
  return text.replace(/\$/g, '$(DOLLAR)');
}

function refuseLineBreaks(field: string, text: string): void {
  if (LINE_BREAKERS.test(text)) {
    throw new SubmitDescriptionError(field, 'must not contain a line break or NUL character');
  }
}

/**
 * A ClassAd string literal for a submit description. condor_submit reads these in the old ClassAd syntax:
 * `\"` is a quote and any other backslash pair is kept as it is, with no escape for a line break. So a value
 * with a line break, a backslash right before a quote, or a trailing backslash cannot be written, and is
 * refused; everything else goes in verbatim, with `"` escaped and `$` escaped for the macro language.
 */
export function classAdString(text: string, field = 'string'): string {
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if ((code < 0x20 && ch !== '\t') || code === 0x7f) {
      throw new SubmitDescriptionError(field, 'must not contain a line break or control character');
    }
  }
  if (text.includes('\\"') || text.endsWith('\\')) {
    throw new SubmitDescriptionError(
      field,
      'must not end with a backslash or have a backslash before a quote',
    );
  }
  return escapeDollars('"' + text.replace(/"/g, '\\"') + '"', field);
}

/**
 * A string literal for a ClassAd expression on a tool's command line (a -constraint). Only for the operator's
 * own identifiers: anything with quotes, backslashes or control characters is refused.
 */
export function classAdLiteral(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/["\\\x00-\x1f\x7f]/.test(text)) {
    throw new SubmitDescriptionError(
      'string',
      'quotes, backslashes and control characters are not allowed here',
    );
  }
  return '"' + text + '"';
}

export function classAdValue(field: string, v: ClassAdValue): string {
  if (v === null) return 'undefined';
  if (typeof v === 'string') return classAdString(v, field);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new SubmitDescriptionError(field, 'must be a finite number');
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  refuseLineBreaks(field, v.expr);
  if (v.expr.endsWith('\\')) throw new SubmitDescriptionError(field, 'must not end with a backslash');
  return escapeDollars(v.expr, field);
}

/** One argument in the "new" (quoted) syntax: single-quoted, `'` doubled, `"` doubled, `$` escaped. */
export function encodeArgument(field: string, arg: string): string {
  refuseLineBreaks(field, arg);
  return escapeDollars("'" + arg.replace(/'/g, "''").replace(/"/g, '""') + "'", field);
}

export function encodeValue(field: string, v: SubmitValue): string {
  switch (v.kind) {
    case 'string':
      refuseLineBreaks(field, v.value);
      // A trailing backslash would continue the line into the next command; HTCondor trims blanks.
      if (v.value.endsWith('\\')) throw new SubmitDescriptionError(field, 'must not end with a backslash');
      if (v.value.trim() !== v.value)
        throw new SubmitDescriptionError(field, 'must not start or end with blanks');
      // Some commands (batch_name) take a value in double quotes as a quoted string and strip them.
      if (v.value.startsWith('"') || v.value.endsWith('"'))
        throw new SubmitDescriptionError(field, 'must not start or end with a double quote');
      return escapeDollars(v.value, field);
    case 'int':
      if (!Number.isSafeInteger(v.value)) throw new SubmitDescriptionError(field, 'must be an integer');
      return String(v.value);
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'expr':
      return classAdValue(field, v.value);
    case 'args':
      return '"' + v.value.map((a) => encodeArgument(field, a)).join(' ') + '"';
    case 'env':
      // Rendered per variable by encodedPairs (so a batch can vary each); never as one value.
      throw new SubmitDescriptionError(field, 'the environment is rendered per variable');
    case 'list':
      return v.value
        .map((item) => {
          refuseLineBreaks(field, item);
          // HTCondor drops empty items of a list: one cannot be carried.
          if (item === '') throw new SubmitDescriptionError(field, 'list items must not be empty');
          // The last item ends the line: a trailing backslash would continue it into the next command.
          if (item.endsWith('\\')) throw new SubmitDescriptionError(field, 'must not end with a backslash');
          if (/[,\s]/.test(item))
            throw new SubmitDescriptionError(field, `list item ${JSON.stringify(item)} has a comma or space`);
          return escapeDollars(item, field);
        })
        .join(',');
  }
}

/**
 * Encodings made once per distinct input in one render: the jobs of an HPCJobSet (up to 100,000) share most
 * of their values, and with this they share the encoded strings too, instead of each job holding copies.
 * An encoding depends only on the value (the field name only names it in an error).
 */
export class Memo {
  readonly #objects = new WeakMap<object, string>();
  readonly #texts = new Map<string, string>();
  readonly #rowSafe = new Map<string, boolean>();

  value(name: string, v: SubmitValue): string {
    let e = this.#objects.get(v);
    if (e === undefined) this.#objects.set(v, (e = encodeValue(name, v)));
    return e;
  }

  argument(field: string, text: string): string {
    let e = this.#texts.get(text);
    if (e === undefined) this.#texts.set(text, (e = encodeArgument(field, text)));
    return e;
  }

  attribute(name: string, v: ClassAdValue): string {
    if (typeof v !== 'object' || v === null) return classAdValue(name, v);
    let e = this.#objects.get(v);
    if (e === undefined) this.#objects.set(v, (e = classAdValue(name, v)));
    return e;
  }

  /** Whether an encoded value can sit in a `queue ... from` table row (ROW_SAFE), asked once per string. */
  rowSafe(encoded: string): boolean {
    let safe = this.#rowSafe.get(encoded);
    if (safe === undefined) this.#rowSafe.set(encoded, (safe = ROW_SAFE.test(encoded)));
    return safe;
  }
}

/**
 * The submit lines of one job, as (key, line-value) pairs in a fixed order. An `environment` is split into
 * one pair per variable (key `environment.NAME`), so that a batch can vary each variable on its own.
 */
/** The names a description writes a line for (commands and attributes) or an environment variable. */
export interface PairNames {
  commands: string[];
  env: string[];
  attributes: string[];
}

export function encodedPairs(job: SubmitJob, names: PairNames, memo: Memo): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of names.commands) {
    const v = job.commands[name];
    // An empty value leaves the command at its default.
    out.set(`cmd:${name}`, v === undefined ? '' : memo.value(name, v));
  }
  const env = job.commands.environment;
  if (env && env.kind !== 'env')
    throw new SubmitDescriptionError('environment', 'use s.env() for the environment');
  for (const name of names.env) {
    const value = env?.kind === 'env' ? env.value[name] : undefined;
    out.set(`env:${name}`, value === undefined ? "''" : memo.argument(`environment.${name}`, value));
  }
  for (const name of names.attributes) {
    const v = job.attributes[name];
    out.set(`attr:${name}`, v === undefined ? 'undefined' : memo.attribute(name, v));
  }
  return out;
}

export function checkNames(job: SubmitJob): void {
  for (const name of Object.keys(job.commands)) {
    if (!COMMAND_NAME.test(name)) throw new SubmitDescriptionError(name, 'invalid submit command name');
    if (RESERVED_COMMANDS.has(name.toLowerCase())) throw new SubmitDescriptionError(name, 'reserved word');
  }
  for (const name of Object.keys(job.attributes)) {
    if (!ATTRIBUTE_NAME.test(name)) throw new SubmitDescriptionError(name, 'invalid ClassAd attribute name');
  }
  const env = job.commands.environment;
  if (env?.kind === 'env') {
    for (const name of Object.keys(env.value)) {
      if (!ENV_NAME.test(name))
        throw new SubmitDescriptionError('environment', `invalid variable name ${JSON.stringify(name)}`);
    }
  }
}

/**
 * What may vary per job inside one `queue ... from` table: HTCondor 23 splits table rows at commas, spaces
 * and tabs (a unit separator is not honoured there) and expands macros in the values, so per-job values
 * are limited to plain tokens. Others (a user's requirements expression, say) split the batch into groups.
 */
export const ROW_SAFE = /^[A-Za-z0-9._/:@%+=\-"'*]*$/;
