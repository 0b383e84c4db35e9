import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import type { MarketEvent, OrderEvent } from '../../src/core/index.js';
import { createBacktest, runBacktest } from '../../src/engine/backtest.js';
import { BACKTEST_FILES, writeBacktestOutput } from '../../src/engine/backtest-output.js';
import { positionIdOf } from '../../src/engine/trading-engine.js';
import { openReplay } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const CANDLES = 'candles/binance-spot-2021-5m';
const skip = skipWithoutSharedData();

function candlesConfig(extra: Record<string, unknown> = {}): Config {
  const profile = JSON.parse(readFileSync(new URL('../../config/backtest-candles.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  // Looser risk limits than the profile so the run keeps trading over the whole span.
  return parseConfig({ ...profile, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9, onStop: 'keep' }, ...extra });
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe.skipIf(skip)('backtest end to end on the 30-coin candles', () => {
  it('conserves money on every event, never goes negative and leaks no position', async () => {
    const config = candlesConfig();
    const source = openReplay([sharedData(CANDLES)]);
    const initial = config.simulator.initialBalance;
    let run: ReturnType<typeof createBacktest> | undefined;
    // The independent ledger, from fills only.
    let cash = initial;
    let fees = 0;
    let realized = 0;
    const base = new Map<string, { amount: number; cost: number }>();
    const seen = new Set<string>();
    const onOrder = (e: OrderEvent): void => {
      seen.add(positionIdOf(e.type === 'order.rejected' ? e.clientId : e.order.clientId));
      if (e.type !== 'order.fill') return;
      const f = e.fill;
      const h = base.get(f.market) ?? { amount: 0, cost: 0 };
      fees += f.fee;
      if (f.side === 'buy') {
        cash -= f.price * f.amount + f.fee;
        h.amount += f.amount;
        h.cost += f.price * f.amount + f.fee;
      } else {
        const costOut = h.amount > 0 ? (h.cost * f.amount) / h.amount : 0;
        cash += f.price * f.amount - f.fee;
        realized += f.price * f.amount - f.fee - costOut;
        h.amount -= f.amount;
        h.cost -= costOut;
      }
      base.set(f.market, h);
    };
    let events = 0;
    let violations = 0;
    for await (const batch of source.batches()) {
      for (const event of batch as MarketEvent[]) {
        if (!run) {
          run = createBacktest(config, 'USDT', event.ts);
          run.engine.listen({ onOrderEvent: onOrder });
        }
        run.feed(event);
        events++;
        const balances = run.exchange.getBalances();
        let quoteTotal = 0;
        let atCost = 0;
        for (const b of balances) {
          if (b.free < -1e-9 || b.locked < -1e-9) violations++;
          if (b.currency === 'USDT') quoteTotal = b.free + b.locked;
          else {
            const h = base.get(`${b.currency}/USDT`);
            if (!close(b.free + b.locked, h?.amount ?? 0)) violations++;
          }
        }
        for (const h of base.values()) atCost += h.cost;
        // Cash on the exchange (free + locked) equals the ledger's; cash + holdings at cost − realized P&L is the start.
        if (!close(quoteTotal, cash)) violations++;
        if (!close(quoteTotal + atCost - realized, initial)) violations++;
      }
    }
    expect(events).toBeGreaterThan(700_000);
    expect(violations).toBe(0);
    const r = run as NonNullable<typeof run>;
    const { open } = r.engine.finish();
    expect(r.engine.results.length).toBeGreaterThan(20);
    expect(fees).toBeCloseTo(r.exchange.feesPaid()['USDT'] ?? 0, 6);
    // No leaks: every position that placed an order either settled or is reported open, and the bot's
    // children are exactly the open positions.
    const openIds = new Set(open.map((p) => p.positionId));
    const settled = new Set(r.engine.settled);
    for (const id of seen) expect(settled.has(id) || openIds.has(id), id).toBe(true);
    for (const id of openIds) expect(settled.has(id)).toBe(false);
    expect(new Set(Object.keys(r.engine.bot.getSnapshot().children))).toEqual(openIds);
    // Trade records agree with the ledger: realized P&L of the settled round trips.
    const pnl = r.engine.results.reduce((a, t) => a + t.pnl, 0);
    if (open.length === 0) expect(pnl).toBeCloseTo(realized, 6);
  });

  it('writes byte-identical outputs for the same inputs', async () => {
    const files = readdirSync(sharedData(CANDLES)).filter((f) => /^(BTC|ETH|SOL|ADA|XRP|DOGE)_/.test(f)).map((f) => sharedData(CANDLES, f));
    const config = candlesConfig();
    const outs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'coinrx-bt-'));
      const source = openReplay(files);
      const result = await runBacktest(source.batches(), config);
      await writeBacktestOutput(dir, result, config, source.stats());
      outs.push(dir);
      expect(result.tracker.trades.length).toBeGreaterThan(0);
    }
    for (const name of BACKTEST_FILES) {
      const a = readFileSync(join(outs[0] as string, name));
      const b = readFileSync(join(outs[1] as string, name));
      expect(a.length, name).toBeGreaterThan(20);
      expect(a.equals(b), name).toBe(true);
    }
    const summary = JSON.parse(readFileSync(join(outs[0] as string, 'summary.json'), 'utf8')) as { span: { from: string; to: string }; statistics: { trades: number }; config: Config };
    expect(summary.span.from).toBe('2021-01-01T00:05:00.000Z');
    expect(summary.config.simulator.initialBalance).toBe(10_000);
    const trades = readFileSync(join(outs[0] as string, 'trades.csv'), 'utf8').trim().split('\n');
    expect(trades.length - 1).toBe(summary.statistics.trades);
  });
});
