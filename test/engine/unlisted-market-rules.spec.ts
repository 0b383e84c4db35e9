import { describe, expect, it } from 'vitest';
import type { MarketRules } from '../../src/core/index.js';
import { upbitKrwRules } from '../../src/exchange/index.js';
import { unlistedMarketRules } from '../../src/engine/unlisted-market-rules.js';
import { untradedPositionLines } from '../../src/engine/untraded-markets.js';

describe('unlistedMarketRules', () => {
  const btc = { ...upbitKrwRules('BTC/KRW'), feeRate: 0.0004 };
  const listed = new Map<string, MarketRules>([['BTC/KRW', btc]]);
  const positions = [
    { positionId: 'bot-1', market: 'BTC/KRW' },
    { positionId: 'bot-2', market: 'XRP/KRW' },
    { positionId: 'bot-3', market: 'XRP/KRW' },
    { positionId: 'bot-4', market: 'ETH/BTC' },
  ];

  it('Upbit: a restored position in a KRW market missing from the listing gets the published KRW rules, marked halted, at the account’s fee', () => {
    const rules = unlistedMarketRules(positions, (m) => listed.get(m), 'upbit', listed.values());
    // Before, such a position had no rules for the run: its exit could never be priced or placed.
    expect(rules.map((r) => [r.market, r.halted, r.feeRate, r.minTotal])).toEqual([['XRP/KRW', 'not listed', 0.0004, 5_000]]);
    expect(rules[0]!.tickSize(3_012)).toBe(1);
    const all = new Map([...listed, ...rules.map((r) => [r.market, r] as const)]);
    const lines = untradedPositionLines(positions, (m) => all.get(m), 'upbit');
    expect(lines[0]).toMatch(/^market XRP\/KRW is not listed by upbit: position bot-2 stays managed on the exchange's published tick rules; no new position opens there/);
    expect(lines[2]).toMatch(/^market ETH\/BTC is not listed by upbit: position bot-4 is restored and shown, but has no market rules/);
  });

  it('other exchanges publish no such table: nothing', () => {
    expect(unlistedMarketRules(positions, (m) => listed.get(m), 'binance', listed.values())).toEqual([]);
  });
});
