import { describe, expect, it } from 'vitest';
import type { MarketRules } from '../../src/core/index.js';
import { upbitKrwRules } from '../../src/exchange/index.js';
import { untradedPositionLines } from '../../src/engine/untraded-markets.js';

describe('untradedPositionLines', () => {
  it('names each restored position whose market is halted or not listed, with the status, and says nothing of the others', () => {
    const rules = (m: string): MarketRules | undefined => (m === 'XRP/KRW' ? { ...upbitKrwRules(m), halted: 'BREAK' } : m === 'BTC/KRW' ? upbitKrwRules(m) : undefined);
    const lines = untradedPositionLines(
      [
        { positionId: 'bot-1', market: 'BTC/KRW' },
        { positionId: 'bot-2', market: 'XRP/KRW' },
        { positionId: 'bot-3', market: 'GONE/KRW' },
      ],
      rules,
      'binance',
    );
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^market XRP\/KRW is not trading on binance \(status BREAK\): position bot-2 stays managed/);
    expect(lines[1]).toMatch(/^market GONE\/KRW is not listed by binance: position bot-3/);
  });
});
