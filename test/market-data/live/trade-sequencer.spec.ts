import { describe, expect, it } from 'vitest';
import { TradeSequencer } from '../../../src/market-data/live/trade-sequencer.js';

const sid = (second: number, k: number): number => second * 1_000_000 + k;

describe('TradeSequencer (Upbit sequential_id)', () => {
  it('passes consecutive ids, drops repeats, and accepts a second tail arriving after the next second began', () => {
    const s = new TradeSequencer();
    const ids = [sid(1618678262, 3), sid(1618678262, 4), sid(1618678263, 0), sid(1618678263, 1), sid(1618678264, 0), sid(1618678263, 2)];
    expect(ids.map((id) => s.observe('LAMB/KRW', id))).toEqual(['new', 'new', 'new', 'new', 'new', 'new']);
    expect(s.observe('LAMB/KRW', sid(1618678263, 1))).toBe('duplicate');
    expect(s.stats).toEqual({ duplicates: 1, gaps: 0, late: 0 });
  });

  it('counts missing ids within a second and at the start of a new second, and late arrivals', () => {
    const s = new TradeSequencer();
    s.observe('BTC/KRW', sid(100, 0));
    s.observe('BTC/KRW', sid(100, 3)); // 1 and 2 missing
    s.observe('BTC/KRW', sid(101, 2)); // 0 and 1 missing
    expect(s.stats.gaps).toBe(4);
    s.observe('BTC/KRW', sid(100, 1)); // late
    expect(s.stats.late).toBe(1);
    expect(s.observe('BTC/KRW', sid(100, 1))).toBe('duplicate');
  });

  it('keeps markets apart, passes trades without ids, and bounds memory', () => {
    const s = new TradeSequencer(4);
    expect(s.observe('A/KRW', sid(1, 0))).toBe('new');
    expect(s.observe('B/KRW', sid(1, 0))).toBe('new');
    expect(s.observe('A/KRW', undefined)).toBe('new');
    for (let k = 1; k <= 5; k++) s.observe('A/KRW', sid(1, k));
    expect(s.observe('A/KRW', sid(1, 0))).toBe('new'); // evicted from the 4-id window
    expect(s.maxId('A/KRW')).toBe(sid(1, 5));
  });
});
