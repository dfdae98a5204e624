/**
 * A block of lines that keeps itself up to date: on a terminal it is redrawn in place (cursor up, clear);
 * anywhere else (a pipe, a CI log) each line is printed once when it changes, so logs stay readable and
 * greppable instead of filling with escape codes.
 */

export interface Output {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface LiveLine {
  /** Identifies the line across renders (a job's name); plain output prints a line when its key's text changes. */
  key: string;
  text: string;
  /** What counts as a change for plain output (default: text); leave out parts that tick, such as ages. */
  signature?: string;
}

export class LiveBlock {
  #drawn = 0;
  readonly #printed = new Map<string, string>();

  constructor(
    readonly out: Output,
    readonly tty: boolean = out.isTTY === true,
  ) {}

  render(lines: readonly LiveLine[]): void {
    if (this.tty) {
      // Lines wider than the terminal would wrap and throw the cursor-up count off: cut them.
      const width = Math.max(20, (this.out.columns || 120) - 1);
      const text = lines.map((l) => (l.text.length > width ? l.text.slice(0, width - 1) + '…' : l.text));
      const up = this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : '';
      this.out.write(up + text.map((t) => t + '\n').join(''));
      this.#drawn = text.length;
      return;
    }
    for (const l of lines) {
      const sig = l.signature ?? l.text;
      if (this.#printed.get(l.key) === sig) continue;
      this.#printed.set(l.key, sig);
      this.out.write(l.text + '\n');
    }
  }

  /** Leaves what was drawn last in place; the next render starts a new block. */
  done(): void {
    this.#drawn = 0;
  }
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner frame for tick `n` (only used on terminals). */
export function spinner(n: number): string {
  return FRAMES[n % FRAMES.length] as string;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
