/**
 * absTime("...") and relTime("...") with a literal string are turned into time literals while HTCondor parses
 * (ClassAdParser::evaluateFunction), and the parse fails when the string is not a time it can read. These
 * model which strings Literal::MakeAbsTime and Literal::MakeRelTime (src/classad/literals.cpp, 23.9) accept.
 * Not modelled: mktime refusing a date (it does not for the years four digits can write).
 */

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined) => c !== undefined && /^[ \t\n\v\f\r]$/.test(c);

/** What HTCondor finds wrong with the literal time string of absTime/relTime (lower case), if anything. */
export function timeLiteralProblem(fn: 'abstime' | 'reltime', s: string): string | undefined {
  if (fn === 'reltime') {
    return relTimeReadable(s)
      ? undefined
      : 'not a relative time HTCondor can read ([-][days+][hh:][mm:]ss, or 1d2h3m4s)';
  }
  return absTimeReadable(s)
    ? undefined
    : 'not an absolute time HTCondor can read (YYYY-MM-DDThh:mm:ss[+hh:mm|Z], every field two digits)';
}

/** Index of the last non-blank character at or before i. */
function prevNonSpace(s: string, i: number): number {
  while (i >= 0 && isSpace(s[i])) i--;
  return i;
}

/** Skips digits backwards from i. */
function prevNonDigit(s: string, i: number): number {
  while (i >= 0 && isDigit(s[i])) i--;
  return i;
}

/**
 * [[[days+]hh:]mm:]ss read from the end: seconds (digits, optional fraction, optional s), then minutes after
 * m or :, hours after h or :, days after d or +, an optional minus; anything left over fails.
 */
function relTimeReadable(s: string): boolean {
  let i = prevNonSpace(s, s.length - 1);
  if (i >= 0 && (s[i] === 's' || s[i] === 'S' || isDigit(s[i]))) {
    if (s[i] === 's' || s[i] === 'S') i--;
    i = prevNonDigit(s, prevNonSpace(s, i));
    if (i >= 0 && s[i] === '.') i = prevNonDigit(s, i - 1);
  }
  for (const marks of ['mM:', 'hH:', 'dD+']) {
    i = prevNonSpace(s, i);
    if (i >= 0 && marks.includes(s[i] as string)) i = prevNonDigit(s, prevNonSpace(s, i - 1));
  }
  i = prevNonSpace(s, i);
  if (i >= 0 && s[i] === '-') i--;
  i = prevNonSpace(s, i);
  return i < 0;
}

/** Drops a trailing time zone (Z, +hhmm, +hh:mm) the way MakeAbsTime does. */
function withoutZone(s: string): string {
  const len = s.length;
  const last = prevNonSpace(s, len - 1);
  if (last > 0 && (s[last] === 'z' || s[last] === 'Z')) return s.slice(0, last) + s.slice(last + 1);
  const zone = (t: string) => (/^[+-][0-9]{4}$/.test(t.slice(-5)) ? t.slice(0, -5) : t);
  if (len > 5 && (s[len - 5] === '+' || s[len - 5] === '-')) return zone(s);
  if (len > 6 && (s[len - 6] === '+' || s[len - 6] === '-') && s[len - 3] === ':')
    return zone(s.slice(0, len - 3) + s.slice(len - 2));
  return s;
}

/**
 * D* dddd [D* dd [D* dd [D* dd [D* dd [D* dd D*]]]]] (D a non-digit): four digits of year, then up to five
 * fields of two characters each starting at the next digit; a digit left over fails.
 */
function absTimeReadable(raw: string): boolean {
  const s = withoutZone(raw);
  const len = s.length;
  const nextDigit = (i: number) => {
    while (i < len && !isDigit(s[i])) i++;
    return i;
  };
  let i = nextDigit(0);
  if (i > len - 4) return false;
  i += 4;
  for (let field = 0; field < 5; field++) {
    i = nextDigit(i);
    if (i <= len - 2) i += 2;
  }
  i = nextDigit(i);
  return !(i <= len - 1 && isDigit(s[i]));
}
