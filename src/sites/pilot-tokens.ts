/**
 * Per-pilot tokens on a site (spec.pool.pilotTokens): each pilot reads its own token from
 * `<dir>/tokens/<pilot>/token`, which the operator writes before it submits the pilot, replaces while the pilot
 * waits in the queue, and removes once the pilot has ended (the pilot removes it too, when it exits). The
 * command lines are pure, like siteCommand's; the listing sends back only the tokens' claims (the middle part
 * of the JWT), never a signature, so nothing that can be used travels back.
 */
import { sitePath } from './pilot.js';
import { shellQuote } from './shell.js';

/** A pilot token the operator stored on a site: when it was minted and when it expires (ms since the epoch). */
export interface StoredToken {
  issuedAt: number;
  expiresAt: number;
}

/** Pilot names the operator makes (prefix + number): a file name, nothing a shell or a path could read. */
const PILOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function checked(pilot: string): string {
  if (!PILOT_NAME.test(pilot))
    throw new Error(`pilot name ${JSON.stringify(pilot)} cannot name a token directory`);
  return pilot;
}

/** The pilot's token directory, unquoted (the pilot script quotes it as a site path). */
export function pilotTokenDir(dir: string, pilot: string): string {
  return `${dir.replace(/\/+$/, '')}/tokens/${checked(pilot)}`;
}

export const tokenCommand = {
  /**
   * Stores stdin as the pilot's token: written next to its directory first, then moved in, so a pilot
   * starting meanwhile reads the old token or the new one, never half of one.
   */
  store: (dir: string, pilot: string) => {
    const tokens = `${sitePath(dir)}/tokens`;
    const part = `${tokens}/${shellQuote(`.${checked(pilot)}.part`)}`;
    const own = `${tokens}/${shellQuote(pilot)}`;
    return `umask 077 && mkdir -p ${own} && cat > ${part} && mv -f ${part} ${own}/token`;
  },
  /** One line per stored token: the pilot's name and the token's claims (base64url JSON). */
  list: (dir: string) =>
    `cd ${sitePath(dir)}/tokens 2>/dev/null || exit 0; for f in */token; do [ -f "$f" ] || continue; printf '%s ' "\${f%/token}"; cut -d. -f2 "$f"; done`,
  /** Removes the token directories (and stray partial writes) of every pilot not in `keep`. */
  retain: (dir: string, keep: readonly string[]) => {
    const names = keep.map((k) => shellQuote(checked(k))).join(' ');
    return [
      `cd ${sitePath(dir)}/tokens 2>/dev/null || exit 0`,
      `for t in * .*.part; do [ -e "$t" ] || continue; k=0; for n in ${names}; do [ "$t" = "$n" ] && k=1; done; [ "$k" = 1 ] || rm -rf -- "$t" || exit 1; done`,
    ].join('; ');
  },
};

/** Reads tokenCommand.list's output; a line whose claims cannot be read says the token expired at 0. */
export function parseTokenListing(out: string): Map<string, StoredToken> {
  const tokens = new Map<string, StoredToken>();
  for (const line of out.split('\n')) {
    const [pilot, claims] = line.trim().split(' ');
    if (!pilot || !PILOT_NAME.test(pilot)) continue;
    tokens.set(pilot, storedTokenOf(claims ?? ''));
  }
  return tokens;
}

/** The iat and exp of a token's claims part (base64url JSON), in ms; 0 where unreadable. */
export function storedTokenOf(claimsPart: string): StoredToken {
  try {
    const c = JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8')) as {
      iat?: unknown;
      exp?: unknown;
    };
    const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v * 1000 : 0);
    return { issuedAt: ms(c.iat), expiresAt: ms(c.exp) };
  } catch {
    return { issuedAt: 0, expiresAt: 0 };
  }
}
