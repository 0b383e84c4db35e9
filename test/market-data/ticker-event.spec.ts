import { describe, expect, it } from 'vitest';
import type { MarketSymbol } from '../../src/core/index.js';
import { ticker } from '../../src/market-data/parsers/ticker-event.js';

const M = 'LAMB/KRW' as MarketSymbol;

describe('ticker (one literal per set of fields, shared by the parsers and the warm-up)', () => {
  it('keeps the 24h totals that are finite and leaves the others out, in the fields order of TickerEvent', () => {
    const cases: [number, number, string][] = [
      [20, 2540, '{"kind":"ticker","market":"LAMB/KRW","ts":5,"price":127,"volume24h":20,"value24h":2540}'],
      [20, NaN, '{"kind":"ticker","market":"LAMB/KRW","ts":5,"price":127,"volume24h":20}'],
      [Infinity, 2540, '{"kind":"ticker","market":"LAMB/KRW","ts":5,"price":127,"value24h":2540}'],
      [NaN, NaN, '{"kind":"ticker","market":"LAMB/KRW","ts":5,"price":127}'],
    ];
    for (const [volume, value, json] of cases) {
      const t = ticker(M, 5, 127, volume, value);
      expect(JSON.stringify(t)).toBe(json);
      // Left out, not present as undefined: consumers test `'volume24h' in t` and events compare equal across formats.
      expect(Object.keys(t)).toEqual(Object.keys(JSON.parse(json) as object));
    }
  });
});
