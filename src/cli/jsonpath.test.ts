import { describe, expect, it } from '@jest/globals';
import { UsageError } from './args.js';
import { jsonpath } from './jsonpath.js';

const list = {
  kind: 'List',
  items: [
    { metadata: { name: 'fit', namespace: 'a' }, status: { phase: 'Succeeded', attempt: 2 } },
    { metadata: { name: 'plot', namespace: 'b' }, status: { phase: 'Failed', attempt: 1 } },
    { metadata: { name: 'new', namespace: 'a' } },
  ],
};

describe('jsonpath templates, as kubectl -o jsonpath', () => {
  it('prints fields, wildcards and indices; several results space-separated', () => {
    expect(jsonpath('{.items[*].metadata.name}', list)).toBe('fit plot new');
    expect(jsonpath('{.items[0].status.phase}', list)).toBe('Succeeded');
    expect(jsonpath('{.items[-1].metadata.name}', list)).toBe('new');
    expect(jsonpath("{.items[1]['metadata'].namespace}", list)).toBe('b');
    expect(jsonpath('{$.kind}', list)).toBe('List');
    expect(jsonpath('{.items[0].status}', list)).toBe('{"phase":"Succeeded","attempt":2}');
  });

  it('ranges, literals, filters and recursive descent', () => {
    expect(jsonpath('{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}', list)).toBe(
      'fit\tSucceeded\nplot\tFailed\nnew\t\n',
    );
    expect(jsonpath('{.items[?(@.status.phase=="Failed")].metadata.name}', list)).toBe('plot');
    expect(jsonpath('{.items[?(@.status.attempt > 1)].metadata.name}', list)).toBe('fit');
    expect(jsonpath('{.items[?(@.status)].metadata.name}', list)).toBe('fit plot');
    expect(jsonpath('{..phase}', list)).toBe('Succeeded Failed');
    expect(jsonpath('names: {.items[*].metadata.name}!', list)).toBe('names: fit plot new!');
  });

  it('prints nothing for a missing key, and refuses a malformed template naming the problem', () => {
    expect(jsonpath('{.items[0].spec.image}', list)).toBe('');
    expect(() => jsonpath('{.items[*]', list)).toThrow(UsageError);
    expect(() => jsonpath('{range .items[*]}{.x}', list)).toThrow(/\{range\} without \{end\}/);
    expect(() => jsonpath('{end}', list)).toThrow(/\{end\} without \{range\}/);
    expect(() => jsonpath('{.items[abc]}', list)).toThrow(/-o jsonpath: cannot read "\[abc\]"/);
  });
});
