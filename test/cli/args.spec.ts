import { describe, expect, it } from 'vitest';
import { parseArgs, UnknownFlagError, UsageError, type FlagSpecs } from '../../src/cli/args.js';

const specs: FlagSpecs = {
  data: { type: 'list', description: 'inputs' },
  every: { type: 'string', description: 'cadence' },
  set: { type: 'list', description: 'overrides' },
  live: { type: 'boolean', description: 'real orders' },
};

describe('cli args', () => {
  it('takes several values after --data and repeated flags', () => {
    const args = parseArgs(['--data', 'a.csv', 'b.csv', '--every', '5m', '--data=c.json', '--live', '--set', 'x=1'], specs);
    expect(args.lists.get('data')).toEqual(['a.csv', 'b.csv', 'c.json']);
    expect(args.strings.get('every')).toBe('5m');
    expect(args.booleans.has('live')).toBe(true);
    expect(args.lists.get('set')).toEqual(['x=1']);
  });

  it('keeps only one value for a string flag and the rest as positionals', () => {
    const args = parseArgs(['--every', '1m', 'extra'], specs);
    expect(args.strings.get('every')).toBe('1m');
    expect(args.positionals).toEqual(['extra']);
  });

  it('rejects unknown options and missing values with the option name', () => {
    // A usage error that carries the options there are, for the nearest one on the command line.
    expect(() => parseArgs(['--nope'], specs)).toThrow(new UnknownFlagError('nope', ['data', 'every', 'set', 'live']));
    expect(() => parseArgs(['--nope'], specs)).toThrow(UsageError);
    expect(() => parseArgs(['--every'], specs)).toThrow(/--every needs a value/);
    expect(() => parseArgs(['--live=yes'], specs)).toThrow(/takes no value/);
  });
});
