import { describe, expect, it } from '@jest/globals';
import { UsageError, boolFlag, flagHelp, intFlag, parseArgs, stringFlag, type FlagSpec } from './args.js';
import { commandFirst } from './command.js';

const SPECS: FlagSpec[] = [
  { name: 'namespace', short: 'n', type: 'string', help: 'ns' },
  { name: 'all-namespaces', short: 'A', type: 'boolean', help: 'all' },
  { name: 'attempt', type: 'int', help: 'n' },
  { name: 'output', short: 'o', type: 'string', choices: ['json', 'yaml'], help: 'o' },
  { name: 'wait', type: 'boolean', help: 'w' },
];

describe('parseArgs', () => {
  it('takes the ways kubectl spells flags, between positionals', () => {
    for (const argv of [
      ['-n', 'ns', 'job'],
      ['-n=ns', 'job'],
      ['-nns', 'job'],
      ['job', '--namespace', 'ns'],
      ['--namespace=ns', 'job'],
    ]) {
      const a = parseArgs(argv, SPECS);
      expect(stringFlag(a, 'namespace')).toBe('ns');
      expect(a.positionals).toEqual(['job']);
    }
  });

  it('reads booleans, integers and choices', () => {
    const a = parseArgs(['a', '-A', '--attempt', '2', 'b', '--wait=false', '-o', 'yaml'], SPECS);
    expect(boolFlag(a, 'all-namespaces')).toBe(true);
    expect(boolFlag(a, 'wait')).toBe(false);
    expect(intFlag(a, 'attempt')).toBe(2);
    expect(stringFlag(a, 'output')).toBe('yaml');
    expect(a.positionals).toEqual(['a', 'b']);
  });

  it('stops at -- so names may start with a dash', () => {
    expect(parseArgs(['--', '-odd', '--wait'], SPECS).positionals).toEqual(['-odd', '--wait']);
  });

  it.each([
    [['--nope'], /unknown flag: --nope/],
    [['-x'], /unknown flag: -x/],
    [['--attempt', 'two'], /whole number/],
    [['--attempt'], /needs a value/],
    [['-o', 'xml'], /one of json, yaml/],
    [['--wait=maybe'], /true or false/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv, SPECS)).toThrow(UsageError);
    expect(() => parseArgs(argv, SPECS)).toThrow(message);
  });

  it('lists flags aligned for help', () => {
    const lines = flagHelp(SPECS).split('\n');
    expect(lines[0]).toMatch(/^ {2}-n, --namespace VALUE {3,}ns$/);
    expect(lines[2]).toMatch(/^ {6}--attempt N {3,}n$/);
    expect(new Set(lines.map((l) => l.search(/ {3}\S+$/) + 3)).size).toBe(1);
  });
});

describe('commandFirst', () => {
  it('finds the command after global flags', () => {
    expect(commandFirst(['-n', 'ns', 'status', '-A'])).toEqual(['status', '-n', 'ns', '-A']);
    expect(commandFirst(['--context=c', 'logs', 'x'])).toEqual(['logs', '--context=c', 'x']);
    expect(commandFirst(['status', '-n', 'ns'])).toEqual(['status', '-n', 'ns']);
    expect(commandFirst(['--help'])).toEqual(['--help']);
  });
});
