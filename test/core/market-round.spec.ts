import { describe, expect, it } from 'vitest';
import { MarketRound } from '../../src/core/market-round.js';

/** Found by the place in the round or through the Map, a market's value is the one set for it, whatever the order of the look-ups. */
describe('MarketRound', () => {
  it('answers every market in rounds, out of turn, with gaps and new markets', () => {
    const round = new MarketRound<number>();
    const names = ['A/USDT', 'B/USDT', 'C/USDT'];
    names.forEach((m, i) => round.set(m, i));
    for (let r = 0; r < 3; r++) for (const [i, m] of names.entries()) expect(round.get(m)).toBe(i);
    expect(round.get('C/USDT')).toBe(2);
    expect(round.get('A/USDT')).toBe(0);
    expect(round.get('C/USDT')).toBe(2);
    // A string of the same name, not the same object.
    expect(round.get(['B', 'USDT'].join('/'))).toBe(1);
    expect(round.get('D/USDT')).toBeUndefined();
    round.set('D/USDT', 3);
    round.set('B/USDT', 10);
    expect([round.get('A/USDT'), round.get('B/USDT'), round.get('C/USDT'), round.get('D/USDT'), round.get('A/USDT')]).toEqual([0, 10, 2, 3, 0]);
    expect(round.size).toBe(4);
    expect(round.entries()).toEqual([['A/USDT', 0], ['B/USDT', 10], ['C/USDT', 2], ['D/USDT', 3]]);
    round.clear();
    expect([round.size, round.get('A/USDT')]).toEqual([0, undefined]);
  });
});
