/**
 * Reads `condor_q -json` / `condor_history -json` output ad by ad while it arrives: `[`, one JSON object per
 * ad separated by commas, `]`; no match prints nothing at all. A whole read of a queue of 100,000 jobs is
 * tens of MB of text: buffering it and parsing it as one array held the text, the array and every ad at
 * once (bench/tracker-memory.ts). Here only the ad being read is held as text; each complete ad is parsed
 * on its own and handed over at once.
 */
import { CondorError } from './errors.js';
import type { JobAd } from './parse.js';

/** Where the reader is between ads: before `[`, after `[`, after a `,`, after an ad, after `]`. */
type Place = 'start' | 'open' | 'comma' | 'after' | 'done';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class JsonAdStream {
  #place: Place = 'start';
  /** Inside an ad: its text so far (pieces of earlier chunks), nesting depth and string state. */
  #inAd = false;
  #pieces: string[] = [];
  #depth = 0;
  #inString = false;
  #escaped = false;
  #count = 0;

  /** `tool` names the command in errors; `onAd` gets each ad as soon as it is complete. */
  constructor(
    readonly tool: string,
    readonly onAd: (ad: JobAd) => void,
  ) {}

  /** The next piece of stdout (any split: inside a string, an escape or a number). */
  write(chunk: string): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#inAd) {
        const from = i;
        const end = this.#scan(chunk, i);
        if (end < 0) {
          this.#pieces.push(from === 0 ? chunk : chunk.slice(from));
          return;
        }
        this.#pieces.push(chunk.slice(from, end + 1));
        this.#emit();
        i = end + 1;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (!isSpace(c)) this.#between(c, chunk, i);
      // An ad starts at its brace: the scan goes on from the next character.
      i++;
    }
  }

  /** stdout is over: it must have been empty or a whole array. */
  end(): void {
    if (this.#place === 'start' || this.#place === 'done') return;
    throw this.#error(
      `${this.tool} -json output ended in the middle of the array (after ${this.#count} ads)`,
    );
  }

  /** A character between ads (not white space): the array's punctuation, or the `{` of the next ad. */
  #between(c: number, chunk: string, i: number): void {
    const p = this.#place;
    if (p === 'start' && c === OPEN_BRACKET) this.#place = 'open';
    else if ((p === 'open' || p === 'comma') && c === OPEN_BRACE) this.#startAd(chunk, i);
    else if ((p === 'open' || p === 'after') && c === CLOSE_BRACKET) this.#place = 'done';
    else if (p === 'after' && c === COMMA) this.#place = 'comma';
    else if (p === 'start') throw this.#error(`${this.tool} -json output is not a JSON array`);
    else
      throw this.#error(
        `${this.tool} -json output is not an array of ads: ${JSON.stringify(chunk.slice(i, i + 40))} after ${this.#count} ads`,
      );
  }

  #startAd(chunk: string, i: number): void {
    this.#inAd = true;
    this.#depth = 1;
    this.#inString = false;
    this.#escaped = false;
    this.#pieces = [chunk.charAt(i)];
  }

  /** Scans for the `}` that closes the ad (braces in strings do not count): its index, or -1. */
  #scan(s: string, from: number): number {
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    let i = from;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) break;
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return i < s.length ? i : -1;
  }

  #emit(): void {
    const text = this.#pieces.length === 1 ? (this.#pieces[0] as string) : this.#pieces.join('');
    this.#pieces = [];
    this.#inAd = false;
    this.#place = 'after';
    this.#count++;
    let ad: unknown;
    try {
      ad = JSON.parse(text);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw this.#error(
        `${this.tool} printed an ad that is not JSON (ad ${this.#count}): ${why}; it begins ${JSON.stringify(text.slice(0, 120))}`,
      );
    }
    // Balanced braces that JSON.parse accepts, opened by `{`: an object (a `]` closing it would not parse).
    this.onAd(ad as JobAd);
  }

  #error(message: string): CondorError {
    return new CondorError('failed', this.tool, undefined, '', message);
  }
}

/** All ads of one complete output (small answers: condor_status, tests). */
export function parseAdsText(tool: string, stdout: string): JobAd[] {
  const ads: JobAd[] = [];
  const stream = new JsonAdStream(tool, (ad) => ads.push(ad));
  stream.write(stdout);
  stream.end();
  return ads;
}
