/**
 * Every link in the repository's Markdown stays inside it: relative, to a file or directory that exists, so
 * a clone or a release archive reads whole offline. Code (fenced blocks, inline spans) is not prose and is
 * skipped: a regex there is not a link.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from '../support/stack/stack.js';

function linksOf(file: string): string[] {
  const prose = readFileSync(join(REPO, file), 'utf8')
    .replace(/^```[\s\S]*?^```$/gm, '')
    .replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

/** Why a link leaves the repository or goes nowhere; undefined when it is fine. */
function problem(file: string, link: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return 'leaves the repository';
  const path = link.split('#')[0]!;
  if (path === '') return undefined;
  const target = resolve(REPO, dirname(file), path);
  if (relative(REPO, target).startsWith('..')) return 'leaves the repository';
  return existsSync(target) ? undefined : 'goes to a missing file';
}

describe('Markdown links', () => {
  it('stay inside the repository and reach an existing file', () => {
    const files = execFileSync('git', ['ls-files', '*.md'], { cwd: REPO, encoding: 'utf8' }).split('\n');
    expect(files.length).toBeGreaterThan(5);
    const bad = files
      .filter((f) => f !== '')
      .flatMap((f) => linksOf(f).map((l) => ({ f, l, why: problem(f, l) })))
      .filter((x) => x.why !== undefined)
      .map((x) => `${x.f}: ${x.l} ${x.why}`);
    expect(bad).toEqual([]);
  });
});
