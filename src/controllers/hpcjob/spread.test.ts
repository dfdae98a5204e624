/** Choosing among several schedds (pure): LeastQueued, Namespace, and the schedds that do not answer. */
import { describe, expect, it } from '@jest/globals';
import { candidate } from '../../../test/support/builders/schedds.js';
import { chooseSchedd, namespaceHash, skippedNote } from './spread.js';

const chosenName = (c: ReturnType<typeof chooseSchedd>) => (c.kind === 'chosen' ? c.candidate.name : c.kind);

describe('spreading new HPCJobs over several schedds', () => {
  it('LeastQueued picks the schedd with the fewest of our jobs, the earlier one on a tie', () => {
    const a = candidate('a@ap').load(7).obj();
    const b = candidate('b@ap').load(3).obj();
    const c = candidate('c@ap').load(3).obj();
    expect(chosenName(chooseSchedd([a, b, c], 'LeastQueued', 'ns'))).toBe('b@ap');
    expect(chosenName(chooseSchedd([c, b, a], 'LeastQueued', 'ns'))).toBe('c@ap');
  });

  it('passes over a schedd that does not answer, however empty, and says which', () => {
    const a = candidate('a@ap').load(9).obj();
    const b = candidate('b@ap').down().obj();
    const choice = chooseSchedd([a, b], 'LeastQueued', 'ns');
    expect(choice).toMatchObject({
      kind: 'chosen',
      candidate: { name: 'a@ap' },
      skipped: [{ name: 'b@ap' }],
    });
    expect(skippedNote([b])).toBe('; passed over when this HPCJob was placed, not answering: b@ap');
    expect(skippedNote([])).toBe('');
  });

  it('chooses only among schedds already read: an unread one has no known load', () => {
    const a = candidate('a@ap').load(50).obj();
    const b = candidate('b@ap').unread().obj();
    expect(chosenName(chooseSchedd([a, b], 'LeastQueued', 'ns'))).toBe('a@ap');
    // None read yet (the operator just started): wait for the first read rather than guess.
    expect(chooseSchedd([candidate('a@ap').unread().obj(), b], 'LeastQueued', 'ns')).toMatchObject({
      kind: 'waiting',
      candidate: { name: 'a@ap' },
    });
  });

  it('says so when no schedd answers, naming every one', () => {
    const a = candidate('a@ap').down('timed out').obj();
    const b = candidate('b@ap').down().obj();
    const choice = chooseSchedd([a, b], 'Namespace', 'ns');
    expect(choice.kind).toBe('unreachable');
    if (choice.kind === 'unreachable') expect(choice.down.map((c) => c.name)).toEqual(['a@ap', 'b@ap']);
  });

  it("Namespace keeps a namespace's jobs on its home schedd whatever the loads, and spreads namespaces", () => {
    const a = candidate('a@ap').load(1000).obj();
    const b = candidate('b@ap').obj();
    // FNV-1a: team-a hashes even (home a@ap), team-b odd (home b@ap).
    expect(chosenName(chooseSchedd([a, b], 'Namespace', 'team-a'))).toBe('a@ap');
    expect(chosenName(chooseSchedd([a, b], 'Namespace', 'team-b'))).toBe('b@ap');
    expect(chosenName(chooseSchedd([a, b], 'Namespace', 'team-a'))).toBe('a@ap');
  });

  it('Namespace moves a namespace to the next schedd while its home is down, and back after', () => {
    const a = candidate('a@ap').obj();
    const b = candidate('b@ap').obj();
    const c = candidate('c@ap').obj();
    // team-c: 618361008 % 3 = 0, home a@ap.
    expect(chosenName(chooseSchedd([a, b, c], 'Namespace', 'team-c'))).toBe('a@ap');
    const aDown = candidate('a@ap').down().obj();
    expect(chosenName(chooseSchedd([aDown, b, c], 'Namespace', 'team-c'))).toBe('b@ap');
    expect(chosenName(chooseSchedd([a, b, c], 'Namespace', 'team-c'))).toBe('a@ap');
  });

  it('hashes namespaces with FNV-1a, the same in every process and version', () => {
    expect(namespaceHash('')).toBe(0x811c9dc5);
    expect(namespaceHash('a')).toBe(0xe40c292c);
    expect(namespaceHash('team-a')).toBe(651916246);
  });
});
