import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { TIME_RANGE_FLAGS, timeRangeArgs } from '../../src/cli/time-range-flags.js';
import { inTimeRange, parseTimeEnd, parseTimeRange, TimeRangeError, timeRangeFromFlags } from '../../src/core/time-range.js';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);

describe('parseTimeRange', () => {
  it('reads freqtrade ranges: a day as the end covers that whole day', () => {
    expect(parseTimeRange('20210101-20210301')).toEqual({ from: day('2021-01-01'), to: day('2021-03-02') });
    expect(parseTimeRange('20210101-')).toEqual({ from: day('2021-01-01') });
    expect(parseTimeRange('-20210301')).toEqual({ to: day('2021-03-02') });
    // One day: from its first millisecond to the next midnight.
    expect(parseTimeRange('20210228-20210228')).toEqual({ from: day('2021-02-28'), to: day('2021-03-01') });
  });

  it('reads epoch seconds and milliseconds as exact instants', () => {
    expect(parseTimeRange('1609459200-1614556800')).toEqual({ from: 1_609_459_200_000, to: 1_614_556_800_000 });
    expect(parseTimeRange('1609459200000-')).toEqual({ from: 1_609_459_200_000 });
  });

  it('reads ISO intervals with dates, date-times and zones; a missing zone is UTC', () => {
    expect(parseTimeRange('2021-01-01/2021-03-01')).toEqual({ from: day('2021-01-01'), to: day('2021-03-02') });
    expect(parseTimeRange('2021-01-01T06:30/2021-01-02T12:00Z')).toEqual({ from: Date.parse('2021-01-01T06:30:00Z'), to: Date.parse('2021-01-02T12:00:00Z') });
    expect(parseTimeRange('2021-01-01T09:00+09:00/')).toEqual({ from: Date.parse('2021-01-01T00:00:00Z') });
    expect(parseTimeRange('/2021-03-01')).toEqual({ to: day('2021-03-02') });
  });

  it('a train span ending on a day and a test span starting the next day do not overlap', () => {
    const train = parseTimeRange('-20210228');
    const test = parseTimeRange('20210301-');
    expect(train.to).toBe(test.from);
    const lastOfFeb = Date.parse('2021-02-28T23:59:59.999Z');
    expect(inTimeRange(train, lastOfFeb)).toBe(true);
    expect(inTimeRange(test, lastOfFeb)).toBe(false);
    expect(inTimeRange(test, day('2021-03-01'))).toBe(true);
    expect(inTimeRange(train, day('2021-03-01'))).toBe(false);
  });

  it('rejects malformed text, impossible days and reversed ranges with one line naming the flag', () => {
    for (const bad of ['', '-', '2021-20210301', '20210101', '20210101-20210301-', 'yesterday-today', '202101-202103', '2021-01-01/2021-03-01/x']) {
      expect(() => parseTimeRange(bad), bad).toThrow(TimeRangeError);
    }
    expect(() => parseTimeRange('20210230-')).toThrow(/--timerange: "20210230" is not a date/);
    expect(() => parseTimeRange('20210301-20210101')).toThrow('--timerange: the start 2021-03-01T00:00:00.000Z is not before the end 2021-01-02T00:00:00.000Z');
    try {
      parseTimeRange('nope');
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message).toContain('"nope"');
    }
  });
});

describe('timeRangeFromFlags', () => {
  it('takes --from/--to alone, in any accepted format', () => {
    expect(timeRangeFromFlags({ from: '2021-01-01', to: '20210131' })).toEqual({ from: day('2021-01-01'), to: day('2021-02-01') });
    expect(timeRangeFromFlags({ to: '2021-01-31T12:00Z' })).toEqual({ to: Date.parse('2021-01-31T12:00:00Z') });
    expect(timeRangeFromFlags({})).toEqual({});
    expect(parseTimeEnd('1609459200000', 'to')).toBe(1_609_459_200_000);
  });

  it('fills an open end of --timerange from --from or --to', () => {
    expect(timeRangeFromFlags({ timerange: '20210101-', to: '20210131' })).toEqual({ from: day('2021-01-01'), to: day('2021-02-01') });
    expect(timeRangeFromFlags({ timerange: '-20210131', from: '20210110' })).toEqual({ from: day('2021-01-10'), to: day('2021-02-01') });
  });

  it('refuses an end set twice, a bad value and a reversed pair', () => {
    expect(() => timeRangeFromFlags({ timerange: '20210101-20210301', to: '20210401' })).toThrow('--to and the end of --timerange both set the end: give one');
    expect(() => timeRangeFromFlags({ timerange: '20210101-', from: '20210101' })).toThrow(/--from and the start of --timerange/);
    expect(() => timeRangeFromFlags({ from: 'soon' })).toThrow('--from: "soon" is not a date');
    expect(() => timeRangeFromFlags({ from: '20210301', to: '20210228' })).toThrow(/--from\/--to: the start .* is not before the end/);
  });
});

describe('time range flags on a command line', () => {
  it('parses a freqtrade range with an open start and turns a bad value into a usage error', () => {
    expect(timeRangeArgs(parseArgs(['--timerange', '-20210301'], TIME_RANGE_FLAGS))).toEqual({ to: day('2021-03-02') });
    expect(timeRangeArgs(parseArgs(['--from', '2021-01-01', '--to', '2021-01-31'], TIME_RANGE_FLAGS))).toEqual({ from: day('2021-01-01'), to: day('2021-02-01') });
    expect(() => timeRangeArgs(parseArgs(['--timerange', '2021-xx'], TIME_RANGE_FLAGS))).toThrow(UsageError);
  });
});
