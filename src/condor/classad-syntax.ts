/**
 * A model of HTCondor's ClassAd expression parser (src/classad/source.cpp, 23.9, as ParseClassAdRvalExpr
 * drives it for condor_submit and condor_q): does HTCondor parse this text as one expression? Recursive
 * descent over the tokens of classad-lexer.ts, accepting exactly what the real parser accepts:
 *
 *   Expression   ::= OrExpr | OrExpr '?' [Expression] ':' Expression
 *   OrExpr ...   ::= binary operators, left-associative: || && | ^ & (== != =?= =!= is isnt) (< <= > >=)
 *                    (<< >> >>>) (+ -) (* / %)
 *   Unary        ::= ('-' | '+' | '~' | '!') Unary | Postfix
 *   Postfix      ::= Primary ('.' Identifier | '[' Expression ']')*
 *   Primary      ::= Identifier | Identifier '(' Args ')' | '.' Identifier | '(' Expression ')'
 *                  | '[' (Identifier '=' Expression ';'*)* ']' | '{' Exprs '}' | literal
 *
 * and its quirks: the middle of `a ? b : c` may fail to parse and is then dropped (the `?:` form); a
 * conditional ends the top level without the check that the input is used up; arguments may be separated by
 * `;`; a trailing `,` in a list or an argument list is an error, extra `;` in a nested ad are not; an
 * attribute name of a nested ad must not be empty; expressions nest at most 1000 deep; absTime("...") and
 * relTime("...") with a literal string are read at parse time and fail when HTCondor cannot read the time.
 * test/e2e/classad-syntax.e2e.test.ts runs the same corpus through the real HTCondor tools.
 */
import { ClassAdLexer, type Token, type TokenType } from './classad-lexer.js';
import { timeLiteralProblem } from './classad-time.js';

export interface ClassAdSyntaxError {
  /** 1-based position in the text. */
  column: number;
  message: string;
}

/** How deep parseExpression may recurse before the real parser gives up. */
export const MAX_DEPTH = 1000;

/** Binary operators by precedence, loosest first (all left-associative). */
const LEVELS: readonly (readonly TokenType[])[] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!=', '=?=', '=!='],
  ['<', '<=', '>', '>='],
  ['<<', '>>', '>>>'],
  ['+', '-'],
  ['*', '/', '%'],
];
const PRECEDENCE = new Map<TokenType, number>(
  LEVELS.flatMap((ops, level) => ops.map((op) => [op, level] as const)),
);
const UNARY = new Set<TokenType>(['-', '+', '~', '!']);
const LITERALS = new Set<TokenType>(['integer', 'real', 'boolean', 'string', 'undefined', 'errorValue']);

/**
 * Parses `text` as HTCondor does: undefined when it is one expression, else where and why not. With `within`,
 * the text is parsed between `within[0]` and `within[1]` (as condor_submit sees an expression the operator
 * embeds), and columns count from the start of `text`.
 */
export function classAdSyntaxError(
  text: string,
  within: readonly [string, string] = ['', ''],
): ClassAdSyntaxError | undefined {
  return new Parser(within[0] + text + within[1], within[0].length, text.length).parse();
}

/** The comments HTCondor would skip in `text` (their 0-based starts): the operator refuses them. */
export function classAdComments(text: string): number[] {
  const lexer = new ClassAdLexer(text);
  while (!['end', 'error'].includes(lexer.consume().type));
  return lexer.comments;
}

class Parser {
  readonly #lexer: ClassAdLexer;
  #depth = 0;
  #error: ClassAdSyntaxError | undefined;

  /** `offset` and `length`: where the text that columns count in lies within `text`. */
  constructor(
    private readonly text: string,
    private readonly offset: number,
    private readonly length: number,
  ) {
    this.#lexer = new ClassAdLexer(text);
  }

  parse(): ClassAdSyntaxError | undefined {
    try {
      return this.#expression(true)
        ? undefined
        : (this.#error ?? { column: 1, message: 'not an expression' });
    } catch (e) {
      // MAX_DEPTH keeps the recursion far below the stack's size; this is the belt to those braces.
      if (e instanceof RangeError) return { column: 1, message: 'nested too deep' };
      throw e;
    }
  }

  /** The 1-based column of index `at` in the caller's text (past its end: one after its last character). */
  #column(at: number): number {
    return Math.max(1, Math.min(at - this.offset, this.length) + 1);
  }

  /** What a token is, for messages. */
  #describe(t: Token): string {
    if (t.type === 'end' || t.at >= this.offset + this.length) return 'the end of the expression';
    return JSON.stringify(this.text.slice(t.at, Math.min(t.end, t.at + 20, this.offset + this.length)));
  }

  /** Records the first failure (the deepest point the parse reached); returns false for the caller. */
  #fail(t: Token, expected: string): false {
    if (this.#error) return false;
    const column = this.#column(t.at);
    const message =
      t.type === 'error'
        ? `${t.problem ?? 'an unknown token'} at column ${column}`
        : t.type === '='
          ? `"=" at column ${column} assigns a value; compare with == (or =?=)`
          : `expected ${expected} at column ${column}, found ${this.#describe(t)}`;
    this.#error = { column, message };
    return false;
  }

  #expect(type: TokenType, expected: string): boolean {
    const t = this.#lexer.consume();
    return t.type === type || this.#fail(t, expected);
  }

  /** Expression ::= OrExpr ['?' [Expression] ':' Expression]; with `full`, nothing may follow. */
  #expression(full = false): boolean {
    this.#depth++;
    try {
      if (this.#depth > MAX_DEPTH) {
        const column = this.#column(this.#lexer.peek().at);
        this.#error ??= { column, message: `nested more than ${MAX_DEPTH} deep at column ${column}` };
        return false;
      }
      if (!this.#binary(0)) return false;
      if (this.#lexer.peek().type === '?') return this.#conditional();
      if (!full) return true;
      const t = this.#lexer.consume();
      return t.type === 'end' || this.#fail(t, 'an operator or the end of the expression');
    } finally {
      this.#depth--;
    }
  }

  /** The rest of `c ? a : b` or `c ?: b`; a middle that fails to parse is dropped, as the real parser does. */
  #conditional(): boolean {
    this.#lexer.consume();
    if (this.#lexer.peek().type === ':') {
      this.#lexer.consume();
    } else {
      const saved = this.#error;
      this.#expression();
      this.#error = saved;
      if (!this.#expect(':', '":" of the conditional')) return false;
    }
    return this.#expression();
  }

  /**
   * Precedence climbing over LEVELS: accepts what the real parser's one function per level accepts, with a
   * stack that grows with the nesting, not with the number of levels.
   */
  #binary(min: number): boolean {
    if (!this.#unary()) return false;
    for (;;) {
      const level = PRECEDENCE.get(this.#lexer.peek().type);
      if (level === undefined || level < min) return true;
      this.#lexer.consume();
      if (!this.#binary(level + 1)) return false;
    }
  }

  #unary(): boolean {
    let t = this.#lexer.peek();
    // Iterative, so that a long run of signs does not grow the stack.
    while (UNARY.has(t.type)) {
      this.#lexer.consume();
      t = this.#lexer.peek();
    }
    return this.#postfix();
  }

  /** Postfix ::= Primary ('.' Identifier | '[' Expression ']')* */
  #postfix(): boolean {
    if (!this.#primary()) return false;
    for (;;) {
      const t = this.#lexer.peek();
      if (t.type === '[') {
        this.#lexer.consume();
        if (!this.#expression() || !this.#expect(']', '"]" closing the subscript')) return false;
      } else if (t.type === 'selection') {
        this.#lexer.consume();
        if (!this.#expect('identifier', 'an attribute name after "."')) return false;
      } else {
        return true;
      }
    }
  }

  #primary(): boolean {
    const t = this.#lexer.peek();
    switch (t.type) {
      case 'identifier':
        this.#lexer.consume();
        return this.#lexer.peek().type === '(' ? this.#call(t) : true;
      case 'selection':
        this.#lexer.consume();
        return this.#expect('identifier', 'an attribute name after "."');
      case '(':
        this.#lexer.consume();
        return this.#expression() && this.#expect(')', 'an operator or ")"');
      case '[':
        return this.#nestedAd();
      case '{':
        return this.#list();
      default:
        if (!LITERALS.has(t.type)) return this.#fail(t, 'an operand');
        this.#lexer.consume();
        return true;
    }
  }

  /** name(args): absTime/relTime of one literal string are read now, and fail when it is not a time. */
  #call(name: Token): boolean {
    const args: Token[] = [];
    if (!this.#arguments(args)) return false;
    const fn = (name.value ?? '').toLowerCase();
    const only = args.length === 1 ? args[0] : undefined;
    if ((fn === 'abstime' || fn === 'reltime') && only?.type === 'string') {
      const problem = timeLiteralProblem(fn, only.value ?? '');
      if (problem) {
        const column = this.#column(name.at);
        this.#error ??= {
          column,
          message: `${name.value}(${JSON.stringify(only.value)}) at column ${column}: ${problem}`,
        };
        return false;
      }
    }
    return true;
  }

  /**
   * '(' [Expression ((',' | ';') Expression)*] ')'. Each argument goes into `args` as its one token when it
   * is a lone literal (what absTime and relTime look for), else as an 'end' placeholder.
   */
  #arguments(args: Token[]): boolean {
    this.#lexer.consume();
    let t = this.#lexer.peek();
    while (t.type !== ')') {
      const first = this.#lexer.peek();
      const before = this.#lexer.consumed;
      if (!this.#expression()) return false;
      const lone = this.#lexer.consumed - before === 1 && LITERALS.has(first.type);
      args.push(lone ? first : { type: 'end', at: first.at, end: first.at });
      t = this.#lexer.peek();
      if (t.type === ',' || t.type === ';') this.#lexer.consume();
      else if (t.type !== ')') return this.#fail(t, '"," or ")" in the argument list');
    }
    this.#lexer.consume();
    return true;
  }

  /** '[' (name '=' Expression ';'*)* ']': a nested ClassAd. */
  #nestedAd(): boolean {
    this.#lexer.consume();
    let t = this.#lexer.peek();
    while (t.type !== ']') {
      t = this.#lexer.consume();
      if (t.type === ';') continue;
      if (t.type !== 'identifier') return this.#fail(t, 'an attribute name in the nested ClassAd');
      if (!this.#expect('=', '"=" after the attribute name') || !this.#expression()) return false;
      // The real parser inserts the attribute only after parsing its value, and fails on an empty name then.
      if (t.value === '') return this.#fail(t, 'a non-empty attribute name');
      t = this.#lexer.peek();
      if (t.type !== ';' && t.type !== ']') return this.#fail(t, '";" or "]" in the nested ClassAd');
      while (t.type === ';') {
        this.#lexer.consume();
        t = this.#lexer.peek();
      }
    }
    this.#lexer.consume();
    return true;
  }

  /** '{' [Expression (',' Expression)*] '}': a list. */
  #list(): boolean {
    this.#lexer.consume();
    let t = this.#lexer.peek();
    while (t.type !== '}') {
      if (!this.#expression()) return false;
      t = this.#lexer.peek();
      if (t.type === ',') this.#lexer.consume();
      else if (t.type !== '}') return this.#fail(t, '"," or "}" in the list');
    }
    this.#lexer.consume();
    return true;
  }
}
