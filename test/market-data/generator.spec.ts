import { describe, expect, it } from 'vitest';
import type { BookTopEvent, MarketEvent, TradeEvent } from '../../src/core/index.js';
import { fourDigitTick, generateMarket, type GeneratorOptions, type MarketRegime } from '../../src/market-data/generator.js';

const HOUR = 3_600_000;

function run(options: GeneratorOptions): MarketEvent[] {
  return [...generateMarket(options)];
}

function correlation(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    cov += ((a[i] as number) - ma) * ((b[i] as number) - mb);
    va += ((a[i] as number) - ma) ** 2;
    vb += ((b[i] as number) - mb) ** 2;
  }
  return cov / Math.sqrt(va * vb);
}

describe('generateMarket', () => {
  it('is deterministic: the same seed gives identical events, another seed different ones', () => {
    const options = { seed: 42, markets: 4, durationMs: HOUR, stepMs: 1000 };
    const a = run(options);
    expect(a.length).toBeGreaterThan(10_000);
    expect(run(options)).toEqual(a);
    expect(run({ ...options, seed: 43 })).not.toEqual(a);
  });

  it('is lazy and time-ordered, with positive prices on ticks and ask above bid', () => {
    const iterator = generateMarket({ seed: 1, markets: 3, durationMs: 1_000 * HOUR, stepMs: 1000 });
    const first = iterator.next();
    expect(first.done).toBe(false); // a thousand hours are not generated up front
    const events = run({ seed: 1, markets: ['BTC/KRW', 'XRP/KRW', 'PEPE/KRW'], initialPrices: { 'PEPE/KRW': 0.01234 }, durationMs: 6 * HOUR, stepMs: 1000 });
    let last = -Infinity;
    for (const e of events) {
      if (e.ts < last) throw new Error('generator went back in time');
      last = e.ts;
      if (e.kind === 'book') {
        if (!(e.bidPrice > 0 && e.askPrice > e.bidPrice && e.bidSize > 0 && e.askSize > 0)) throw new Error(`bad book ${JSON.stringify(e)}`);
        const tick = fourDigitTick(e.bidPrice);
        // on the tick grid: at most 4 significant digits
        expect(Math.abs(e.bidPrice / tick - Math.round(e.bidPrice / tick))).toBeLessThan(1e-6);
        expect(String(e.bidPrice).replace(/^0\.0*|\./g, '').replace(/0+$/, '').length).toBeLessThanOrEqual(4);
      } else if (e.kind === 'trade') {
        if (!(e.price > 0 && e.amount > 0)) throw new Error(`bad trade ${JSON.stringify(e)}`);
      }
    }
    expect(new Set(events.map((e) => e.market))).toEqual(new Set(['BTC/KRW', 'XRP/KRW', 'PEPE/KRW']));
  });

  it('trades at the touch of the book of their step, with per-market gap-free ids', () => {
    const events = run({ seed: 9, markets: 2, durationMs: HOUR, stepMs: 1000 });
    const book = new Map<string, BookTopEvent>();
    const ids = new Map<string, number>();
    for (const e of events) {
      if (e.kind === 'book') book.set(e.market, e);
      if (e.kind !== 'trade') continue;
      const top = book.get(e.market) as BookTopEvent;
      expect(e.price).toBe(e.side === 'buy' ? top.askPrice : top.bidPrice);
      expect(e.id).toBe((ids.get(e.market) ?? 0) + 1);
      ids.set(e.market, e.id as number);
    }
  });

  it('switches hidden regimes, clusters volatility, bursts volume and moves coins together', () => {
    const regimes: { market: string; regime: MarketRegime; ts: number }[] = [];
    const bursts: boolean[] = [];
    const days = 4;
    const events = run({
      seed: 2024,
      markets: 4,
      durationMs: days * 24 * HOUR,
      stepMs: 10_000,
      onRegime: (market, regime, ts) => regimes.push({ market, regime, ts }),
      onBurst: (_m, on) => bursts.push(on),
    });
    // regimes: all three occur, and change several times over four days (mean duration 6 h)
    expect(new Set(regimes.map((r) => r.regime))).toEqual(new Set(['bull', 'bear', 'flat']));
    expect(regimes.length).toBeGreaterThan(4 * 4);
    expect(bursts.filter((b) => b).length).toBeGreaterThan(4);

    // per-market mids every step, from book tops
    const mids = new Map<string, number[]>();
    const tradesPerMinute = new Map<number, number>();
    for (const e of events) {
      if (e.kind === 'book') {
        const m = mids.get(e.market) ?? [];
        m.push((e.bidPrice + e.askPrice) / 2);
        mids.set(e.market, m);
      } else if (e.kind === 'trade' && e.market === 'BTC/KRW') {
        const minute = Math.floor(e.ts / 60_000);
        tradesPerMinute.set(minute, (tradesPerMinute.get(minute) ?? 0) + 1);
      }
    }
    // 5-minute log returns: volatility clustering shows as autocorrelated squared returns
    const five = (m: string): number[] => {
      const p = mids.get(m) as number[];
      const out: number[] = [];
      for (let i = 30; i < p.length; i += 30) out.push(Math.log((p[i] as number) / (p[i - 30] as number)));
      return out;
    };
    const r = five('BTC/KRW');
    const sq = r.map((x) => x * x);
    expect(correlation(sq.slice(1), sq.slice(0, -1))).toBeGreaterThan(0.1);
    // a common factor: coins' returns are positively correlated (each loads ≈0.6 on it)
    expect(correlation(r, five('ETH/KRW'))).toBeGreaterThan(0.15);
    expect(correlation(five('XRP/KRW'), five('SOL/KRW'))).toBeGreaterThan(0.15);
    // volume bursts: the busiest minutes trade several times the median minute
    const counts = [...tradesPerMinute.values()].sort((a, b) => a - b);
    const median = counts[counts.length >> 1] as number;
    expect(counts.at(-1) as number).toBeGreaterThan(4 * median);
    // trades exist in every regime and prices never collapse to zero
    expect(events.filter((e): e is TradeEvent => e.kind === 'trade').every((t) => t.price > 0)).toBe(true);
  });

  it('drifts up in bull regimes and down in bear regimes', () => {
    const current = new Map<string, MarketRegime>();
    const sums: Record<MarketRegime, number> = { bull: 0, bear: 0, flat: 0 };
    const counts: Record<MarketRegime, number> = { bull: 0, bear: 0, flat: 0 };
    const lastMid = new Map<string, number>();
    for (const e of generateMarket({
      seed: 77,
      markets: 6,
      durationMs: 60 * 24 * HOUR,
      stepMs: 60_000,
      tradesPerSecond: 0.0001,
      onRegime: (m, r) => current.set(m, r),
    })) {
      if (e.kind !== 'book') continue;
      const mid = Math.log((e.bidPrice + e.askPrice) / 2);
      const prev = lastMid.get(e.market);
      lastMid.set(e.market, mid);
      if (prev === undefined) continue;
      const regime = current.get(e.market) as MarketRegime;
      sums[regime] += mid - prev;
      counts[regime]++;
    }
    const perDay = (r: MarketRegime): number => (sums[r] / counts[r]) * 1440;
    expect(perDay('bull')).toBeGreaterThan(0.02);
    expect(perDay('bear')).toBeLessThan(-0.02);
    expect(Math.abs(perDay('flat'))).toBeLessThan(0.02);
  });

  it('uses a passed tick size (Upbit KRW ticks) and rejects bad options', () => {
    const upbitTick = (p: number): number => (p >= 1_000_000 ? 1000 : p >= 100_000 ? 100 : p >= 10_000 ? 10 : 1);
    const events = run({ seed: 5, markets: ['BTC/KRW'], durationMs: HOUR, stepMs: 5000, tickSize: upbitTick });
    for (const e of events) if (e.kind === 'book') expect(e.bidPrice % 1000).toBe(0);
    expect(() => run({ seed: 1, durationMs: HOUR, stepMs: 0 })).toThrow(/stepMs/);
    expect(() => run({ seed: 1, markets: ['X/KRW'], initialPrices: { 'X/KRW': -1 }, durationMs: HOUR })).toThrow(/X\/KRW/);
  });
});
