import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { writeFallingCandles } from '../helpers/falling-candles.js';
import { skipWithoutSharedData } from '../helpers/shared-data.js';

/**
 * The profiles on a falling market made from the recorded candles (the 30 coins' first two weeks of
 * 2021 with every price inverted: the same moves, downwards). Whatever the strategy earns there, what
 * it must do by design: no buy while the market's 24 h breadth is under the regime filter's minimum
 * (or the 6 h market is bearish), no stake above what the entry gate allows, and nothing bought after
 * the drawdown halt stopped the bot.
 */
const DAY = 86_400_000;
const FROM = Date.UTC(2021, 0, 1);
const TO = FROM + 15 * DAY;

interface Trade {
  readonly opened: number;
  readonly spent: number;
}

/** The fields of summary.json read here. */
interface RunSummary {
  readonly statistics: { readonly initialEquity: number; readonly maxDrawdown: number };
  readonly results: { readonly market: { readonly change: number }; readonly halts: readonly { readonly ts: number; readonly reason: string; readonly resumedTs: number | null }[] };
  readonly config: {
    readonly strategy: { readonly stopLoss: number; readonly skipBearMarket: boolean; readonly gate: { readonly maxFraction: number; readonly riskPerTrade: number; readonly regimeMin: number; readonly regimeHorizon: string } };
    readonly allocation: { readonly maxPerCoin: number };
    readonly bot: { readonly maxDrawdown: number };
  };
}

const csv = (path: string): string[][] => readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));

describe.skipIf(skipWithoutSharedData())('the default profiles in a falling market (recorded candles, prices inverted)', () => {
  let data: string;
  beforeAll(() => {
    data = writeFallingCandles(FROM, TO, 'prices');
  });

  const backtest = async (profile: string): Promise<{ out: string; summary: RunSummary; trades: Trade[] }> => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-falling-run-'));
    const c = captureIo();
    expect(await main(['backtest', '--data', data, '--config', profile, '--out', out], c.io), c.err()).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    const trades = csv(join(out, 'trades.csv')).map((f) => ({ opened: Date.parse(f[2] as string), spent: Number(f[7]) }));
    return { out, summary, trades };
  };

  it.each(['config/backtest-candles.json', 'config/default.json'])('%s: the market falls; no stake above the gate cap; nothing bought after a drawdown halt', async (profile) => {
    const { out, summary, trades } = await backtest(profile);
    // The generated market really falls: equal-weight buy-and-hold of the coins loses.
    expect(summary.results.market.change).toBeLessThan(0);
    const gate = summary.config.strategy.gate;
    const cap = Math.min(gate.maxFraction, gate.riskPerTrade / summary.config.strategy.stopLoss, summary.config.allocation.maxPerCoin);
    // Equity is sampled hourly (equity.csv); the peak so far bounds the equity a buy was sized on, with 2 %
    // for a rise inside the hour (at most a third of equity is invested, so an hour moves it far less).
    const equity = csv(join(out, 'equity.csv')).map((f) => ({ ts: Date.parse(f[0] as string), equity: Number(f[1]) }));
    for (const t of trades) {
      const peak = Math.max(summary.statistics.initialEquity, ...equity.filter((e) => e.ts <= t.opened).map((e) => e.equity));
      expect(t.spent, new Date(t.opened).toISOString()).toBeLessThanOrEqual(cap * peak * 1.02);
    }
    const stopped = summary.results.halts.filter((h) => h.resumedTs === null);
    for (const h of stopped) expect(trades.filter((t) => t.opened > h.ts), h.reason).toEqual([]);
    if (stopped.length === 0) expect(summary.statistics.maxDrawdown).toBeLessThan(summary.config.bot.maxDrawdown);
  });

  it('config/backtest-candles.json: every buy was placed while the 24 h breadth met the regime filter and the 6 h market was not bearish', async () => {
    const profile = 'config/backtest-candles.json';
    const { summary, trades } = await backtest(profile);
    expect(trades.length).toBeGreaterThan(0);
    // The brute-force reference: every coin's regime at every batch, from `coinrx features` with the same profile.
    const file = join(mkdtempSync(join(tmpdir(), 'coinrx-falling-features-')), 'regime.jsonl');
    const c = captureIo();
    expect(await main(['features', '--data', data, '--config', profile, '--fields', 'regime', '--out', file], c.io), c.err()).toBe(0);
    const byTs = new Map<number, { bull24: number; bear24: number; bull6: number; bear6: number; n: number }>();
    for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
      const s = JSON.parse(line) as { ts: number; regime: Record<string, string> };
      const b = byTs.get(s.ts) ?? { bull24: 0, bear24: 0, bull6: 0, bear6: 0, n: 0 };
      b.n++;
      if (s.regime['24h'] === 'bull') b.bull24++;
      if (s.regime['24h'] === 'bear') b.bear24++;
      if (s.regime['6h'] === 'bull') b.bull6++;
      if (s.regime['6h'] === 'bear') b.bear6++;
      byTs.set(s.ts, b);
    }
    const times = [...byTs.keys()].sort((a, b) => a - b);
    const regimeMin = summary.config.strategy.gate.regimeMin;
    expect(summary.config.strategy.gate.regimeHorizon).toBe('24h');
    // The filter did shut: the market spent batches under the minimum, so the check below can fail.
    const under = times.filter((ts) => {
      const b = byTs.get(ts)!;
      return (b.bull24 - b.bear24) / b.n < regimeMin;
    });
    expect(under.length).toBeGreaterThan(0);
    for (const t of trades) {
      // The batch the buy was decided on: the last one at or before it.
      const ts = times.filter((x) => x <= t.opened).at(-1)!;
      const b = byTs.get(ts)!;
      expect((b.bull24 - b.bear24) / b.n, new Date(t.opened).toISOString()).toBeGreaterThanOrEqual(regimeMin);
      if (summary.config.strategy.skipBearMarket) expect((b.bull6 - b.bear6) / b.n, new Date(t.opened).toISOString()).toBeGreaterThanOrEqual(-0.2);
    }
  });
});

describe.skipIf(skipWithoutSharedData())('drawdown scaling on the whole quarter played backwards (recorded candles, time reversed)', () => {
  it('config/backtest-candles.json stays clear of the drawdown halt, where the same profile at full stakes comes to its edge', async () => {
    const data = writeFallingCandles(FROM, Date.UTC(2021, 3, 1), 'time');
    const run = async (...set: string[]): Promise<RunSummary> => {
      const out = mkdtempSync(join(tmpdir(), 'coinrx-reversed-run-'));
      const c = captureIo();
      expect(await main(['backtest', '--data', data, '--config', 'config/backtest-candles.json', ...set, '--out', out], c.io), c.err()).toBe(0);
      return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    };
    const maxDrawdownHalts = (s: RunSummary): number => s.results.halts.filter((h) => h.reason.includes('drawdown')).length;
    const scaled = await run();
    const full = await run('--set', 'allocation.drawdownScaling=false');
    expect(scaled.results.market.change).toBeLessThan(-0.5);
    // At full stakes the bot loses its way to the kill switch's edge (docs/strategies.md, "Drawdown scaling").
    expect(full.statistics.maxDrawdown).toBeGreaterThan(0.9 * full.config.bot.maxDrawdown);
    // Scaled by the drawdown, each loss of a losing run is smaller than the last: far from the halt.
    expect(maxDrawdownHalts(scaled)).toBe(0);
    expect(scaled.statistics.maxDrawdown).toBeLessThan(0.75 * scaled.config.bot.maxDrawdown);
  });
});
