/**
 * The tokens of a ClassAd expression as HTCondor's own lexer (src/classad/lexer.cpp, 23.9) cuts them when a
 * tool parses an expression the way condor_submit and condor_q do (ParseClassAdRvalExpr: old ClassAd string
 * syntax, old semantics). A model of the real lexer, quirks included, so that the syntax check
 * (classad-syntax.ts) accepts exactly what HTCondor accepts:
 * - strings: a backslash only escapes the quote after it, and only when more than a line end follows it;
 * - numbers: no octal or hex (a leading 0 and more digits is an error), except after a leading minus sign,
 *   which the real lexer folds into the number before it checks;
 * - a minus is part of a number unless the token before it ends an operand;
 * - `is`/`isnt` are `=?=`/`=!=`; `'quoted'` is an attribute name; comments are skipped;
 * - anything else (including every non-ASCII character outside a string) is an error token.
 */

export type TokenType =
  | 'end'
  | 'error'
  | 'integer'
  | 'real'
  | 'boolean'
  | 'string'
  | 'undefined'
  | 'errorValue'
  | 'identifier'
  | 'selection'
  | Punct;

export type Punct =
  | '*'
  | '/'
  | '%'
  | '+'
  | '-'
  | '~'
  | '^'
  | '&'
  | '&&'
  | '|'
  | '||'
  | '!'
  | '!='
  | '<'
  | '<='
  | '<<'
  | '>'
  | '>='
  | '>>'
  | '>>>'
  | '='
  | '=='
  | '=?='
  | '=!='
  | '?'
  | ':'
  | ';'
  | ','
  | '['
  | ']'
  | '('
  | ')'
  | '{'
  | '}';

export interface Token {
  type: TokenType;
  /** Index of the token's first character. */
  at: number;
  /** Index after its last character. */
  end: number;
  /** The value of a string or quoted attribute name (backslash-quote folded), or an identifier's name. */
  value?: string;
  /** Why an error token is one. */
  problem?: string;
}

/** Single-character tokens that need no look-ahead. */
const SINGLE = new Set<string>('*/%+-~^?:;,[](){}');

/** After these a minus is an operator; after anything else it may start a negative number. */
const ENDS_OPERAND = new Set<TokenType>([
  'integer',
  'real',
  'boolean',
  'string',
  'undefined',
  'errorValue',
  'identifier',
  'selection',
  ']',
  ')',
  '}',
]);

const RESERVED: Record<string, TokenType> = {
  true: 'boolean',
  false: 'boolean',
  undefined: 'undefined',
  error: 'errorValue',
  is: '=?=',
  isnt: '=!=',
};

const isDigit = (c: number) => c >= 48 && c <= 57;
const isOctal = (c: number) => c >= 48 && c <= 55;
const isXDigit = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** C's isspace in the C locale. */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);
const code = (ch: string) => ch.charCodeAt(0);

export class ClassAdLexer {
  #pos = 0;
  /** The type of the token lexed last (the real lexer's tokenType): decides what a minus is. */
  #last: TokenType = 'end';
  #peeked: Token | undefined;
  /** Where comments start (HTCondor skips them; the operator refuses them). */
  readonly comments: number[] = [];
  /** How many tokens were consumed so far. */
  consumed = 0;

  constructor(private readonly src: string) {}

  peek(): Token {
    return (this.#peeked ??= this.#lex());
  }

  consume(): Token {
    const t = this.peek();
    this.#peeked = undefined;
    this.consumed++;
    return t;
  }

  /** The character code at i, or -1 past the end (a NUL ends the input, as in C). */
  #c(i: number): number {
    const c = i < this.src.length ? this.src.charCodeAt(i) : -1;
    return c === 0 ? -1 : c;
  }

  #lex(): Token {
    const skipped = this.#skipBlanks();
    const t = skipped ?? this.#token();
    this.#last = t.type;
    return t;
  }

  /** Skips white space and comments; an error token for a comment that never ends. */
  #skipBlanks(): Token | undefined {
    for (;;) {
      const c = this.#c(this.#pos);
      if (isSpace(c)) {
        this.#pos++;
      } else if (c === code('/') && this.#c(this.#pos + 1) === code('/')) {
        this.comments.push(this.#pos);
        while (this.#c(this.#pos) > 0 && this.#c(this.#pos) !== 10) this.#pos++;
      } else if (c === code('/') && this.#c(this.#pos + 1) === code('*')) {
        const at = this.#pos;
        this.comments.push(at);
        // The real lexer looks for */ from the character after /*: /*/ does not close it.
        const close = this.src.indexOf('*/', at + 2);
        if (close < 0 || this.src.slice(at, close).includes('\0'))
          return this.#error(at, this.src.length, 'a /* comment that never ends');
        this.#pos = close + 2;
      } else {
        return undefined;
      }
    }
  }

  #token(): Token {
    const at = this.#pos;
    const c = this.#c(at);
    if (c < 0) return { type: 'end', at, end: at };
    if (c === code('-')) return ENDS_OPERAND.has(this.#last) ? this.#punct() : this.#number();
    if (isDigit(c) || c === code('.')) return this.#number();
    if (isAlpha(c) || c === code('_')) return this.#word();
    if (c === code('"') || c === code("'")) return this.#string(c);
    return this.#punct();
  }

  #make(type: TokenType, at: number, end: number, value?: string): Token {
    this.#pos = end;
    return value === undefined ? { type, at, end } : { type, at, end, value };
  }

  #error(at: number, end: number, problem: string): Token {
    this.#pos = end;
    return { type: 'error', at, end, problem };
  }

  /** Integers, reals, a negative number, or a selection dot (tokenizeNumber). */
  #number(): Token {
    const at = this.#pos;
    let first = this.#c(at);
    let i = at + 1;
    if (first === code('-')) {
      const next = this.#c(i);
      if (isDigit(next)) {
        first = next;
        i++;
      } else if (!(next === code('.') && isDigit(this.#c(i + 1)))) {
        return this.#make('-', at, i);
      }
    }
    let kind: 'none' | 'integer' | 'real' = 'none';
    if (first === code('0')) {
      if (lower(this.#c(i)) === code('x')) {
        kind = 'integer';
        i++;
        if (!isXDigit(this.#c(i))) return this.#error(at, i, 'a hexadecimal number without digits');
        while (isXDigit(this.#c(i))) i++;
      } else {
        kind = 'integer';
        for (; isDigit(this.#c(i)); i++) if (!isOctal(this.#c(i))) kind = 'real';
        const c = this.#c(i);
        if (c === code('.') || lower(c) === code('e')) kind = 'real';
        else if (kind === 'real') return this.#error(at, i, 'a number with a leading 0 and an 8 or 9');
      }
    } else if (isDigit(first)) {
      while (isDigit(this.#c(i))) i++;
      kind = this.#c(i) === code('.') || lower(this.#c(i)) === code('e') ? 'real' : 'integer';
    }
    if (first === code('.') || this.#c(i) === code('.')) {
      if (this.#c(i) === code('.')) i++;
      if (isDigit(this.#c(i))) {
        kind = 'real';
        while (isDigit(this.#c(i))) i++;
      } else if (kind !== 'none') {
        return this.#error(at, i, 'a number ending in "." (write 1.0, not 1.)');
      } else {
        return this.#make('selection', at, i);
      }
    }
    if (kind === 'real' && lower(this.#c(i)) === code('e')) {
      i++;
      if (this.#c(i) === code('+') || this.#c(i) === code('-')) i++;
      if (!isDigit(this.#c(i))) return this.#error(at, i, 'an exponent without digits');
      while (isDigit(this.#c(i))) i++;
    }
    // Old ClassAd semantics have no octal or hex; the check looks at the first character, so -010 slips by.
    if (kind === 'integer' && this.src[at] === '0' && i - at > 1)
      return this.#error(at, i, 'an integer with a leading 0 (HTCondor has no octal or hexadecimal numbers)');
    return this.#make(kind === 'integer' ? 'integer' : 'real', at, i);
  }

  /** Identifiers and the reserved words (case-insensitive), tokenizeAlphaHead. */
  #word(): Token {
    const at = this.#pos;
    let i = at;
    while (isAlpha(this.#c(i))) i++;
    if (isDigit(this.#c(i)) || this.#c(i) === code('_')) {
      i++;
      while (isAlpha(this.#c(i)) || isDigit(this.#c(i)) || this.#c(i) === code('_')) i++;
      return this.#make('identifier', at, i, this.src.slice(at, i));
    }
    const word = this.src.slice(at, i);
    const reserved = RESERVED[word.toLowerCase()];
    return reserved ? this.#make(reserved, at, i) : this.#make('identifier', at, i, word);
  }

  /**
   * A "string" or a 'quoted attribute name' in old ClassAd syntax (tokenizeStringOld): a backslash before
   * the quote makes the quote part of the value, unless nothing or only a line end follows that quote.
   */
  #string(delim: number): Token {
    const at = this.#pos;
    let i = at + 1;
    let value = '';
    let from = i;
    for (;;) {
      let before = 0;
      while (this.#c(i) > 0 && this.#c(i) !== delim) before = this.#c(i++);
      if (this.#c(i) !== delim) return this.#error(at, i, 'a string that never ends');
      const after = this.#c(i + 1);
      if (before !== code('\\') || after <= 0 || after === 10) {
        value += this.src.slice(from, i);
        const end = i + 1 + (before === code('\\') && after === 10 ? 1 : 0);
        return this.#make(delim === code('"') ? 'string' : 'identifier', at, end, value);
      }
      // \" followed by more: the quote is part of the value, and the string goes on.
      value += this.src.slice(from, i - 1) + String.fromCharCode(delim);
      i++;
      from = i;
    }
  }

  /** Operators and punctuation (tokenizePunctOperator). */
  #punct(): Token {
    const at = this.#pos;
    const ch = this.src[at] as string;
    const next = this.src[at + 1];
    const two = ch + (next ?? '');
    if (SINGLE.has(ch)) return this.#make(ch as Punct, at, at + 1);
    switch (ch) {
      case '&':
      case '|':
        return two === ch + ch ? this.#make(two as Punct, at, at + 2) : this.#make(ch, at, at + 1);
      case '<':
        return two === '<=' || two === '<<' ? this.#make(two, at, at + 2) : this.#make('<', at, at + 1);
      case '>':
        if (two === '>=') return this.#make('>=', at, at + 2);
        if (two !== '>>') return this.#make('>', at, at + 1);
        return this.src[at + 2] === '>' ? this.#make('>>>', at, at + 3) : this.#make('>>', at, at + 2);
      case '!':
        return two === '!=' ? this.#make('!=', at, at + 2) : this.#make('!', at, at + 1);
      case '=':
        return this.#equals(at, next);
      default:
        return this.#error(
          at,
          at + 1,
          `the character ${JSON.stringify(ch)}, which is not part of the ClassAd language`,
        );
    }
  }

  /** `=`, `==`, `=?=` (the ? must be followed by =) and `=!=` (else `=` and then `!`). */
  #equals(at: number, next: string | undefined): Token {
    if (next === '=') return this.#make('==', at, at + 2);
    if (next === '?')
      return this.src[at + 2] === '='
        ? this.#make('=?=', at, at + 3)
        : this.#error(at, at + 2, '"=?" not followed by "=" (=?= compares exactly)');
    if (next === '!' && this.src[at + 2] === '=') return this.#make('=!=', at, at + 3);
    return this.#make('=', at, at + 1);
  }
}
