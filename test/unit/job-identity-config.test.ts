/**
 * The schedd settings that make a job's identity immutable name exactly the operator's identity attributes
 * (src/condor/tags.ts), in the local stack's pool configuration and in the admin documentation, and never an
 * attribute the operator or the job must still write. The behaviour itself is checked on the real schedd by
 * test/e2e/job-identity.e2e.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tag } from '../../src/condor/tags.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const IDENTITY = [Tag.Operator, Tag.JobUID, Tag.Attempt, Tag.Ref];
const WRITABLE = [Tag.Ack, Tag.WrapperResult, Tag.StderrTail];

/** The attributes an `IMMUTABLE_JOB_ATTRS = $(IMMUTABLE_JOB_ATTRS) ...` line adds, per occurrence. */
function immutableLists(text: string): string[][] {
  return [...text.matchAll(/^IMMUTABLE_JOB_ATTRS = \\?\$\(IMMUTABLE_JOB_ATTRS\) (.+)$/gm)].map((m) =>
    (m[1] as string).trim().split(/\s+/),
  );
}

describe('immutable job identity', () => {
  it.each([
    ['the local stack', 'test/e2e/stack/pool.sh'],
    ['the admin documentation', 'docs/install.md'],
  ])('%s makes exactly the identity attributes immutable', (_what, file) => {
    const lists = immutableLists(readFileSync(join(REPO, file), 'utf8'));
    expect(lists).toEqual([IDENTITY]);
    for (const a of WRITABLE) expect(lists.flat()).not.toContain(a);
  });
});
