/** POSIX shell quoting for values that go into remote commands and batch scripts. */

/** Quotes one word so that any POSIX shell reads it back unchanged: `'...'` with `'` as `'\''`. */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a shell word cannot contain a NUL character');
  if (word !== '' && /^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return "'" + word.replace(/'/g, "'\\''") + "'";
}

/** A command line from argv, every word quoted. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
