import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { writeZigzagCandles } from '../helpers/zigzag-candles.js';


describe('coinrx demo and backtest', () => {
  it('demo runs the whole engine offline on a generated market and writes its report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-demo-'));
    const c = captureIo();
    expect(await main(['demo', '--hours', '4', '--markets', '4', '--out', out, '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0'], c.io)).toBe(0);
    expect(c.err()).toMatch(/demo: 4 generated KRW coins, 4 h of event time \(seed 1\); no network used/);
    expect(c.out()).toMatch(/^span {8}2024-01-01T00:00:00\.000Z → 2024-01-01T0[34]:/m);
    expect(c.out()).toMatch(/^equity {6}10000000\.00 → \d+\.\d\d KRW/m);
    // Four hours of hourly returns are too few for an annualised Sharpe or Sortino (README: under 24 hours).
    expect(c.out()).toMatch(/^risk {8}max drawdown \d+\.\d\d%, Sharpe n\/a, Sortino n\/a, exposure/m);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { quote: string; events: number; source: { seed: number }; statistics: { fills: number; sharpe: number | null; sortino: number | null } };
    expect(summary.statistics.sharpe).toBeNull();
    expect(summary.statistics.sortino).toBeNull();
    expect(summary.quote).toBe('KRW');
    expect(summary.events).toBeGreaterThan(50_000);
    expect(summary.source.seed).toBe(1);
    expect(summary.statistics.fills).toBeGreaterThan(0);
  });

  it('a day of data ending at 23:59 gives one day row: the last, partial batch is dated at the last event, not at 00:00 of the next day', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-demo-day-'));
    const c = captureIo();
    expect(await main(['demo', '--hours', '24', '--markets', '4', '--out', out, '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^span {8}2024-01-01T00:00:00\.000Z → 2024-01-01T23:59:/m);
    const days = c.out().split('\n').slice(c.out().split('\n').indexOf('days') + 2).filter((l) => /^ {2}\d{4}-\d\d-\d\d /.test(l));
    expect(days.map((l) => l.trim().slice(0, 10))).toEqual(['2024-01-01']);
    const hourly = readFileSync(join(out, 'hourly.csv'), 'utf8').trim().split('\n');
    expect(hourly).toHaveLength(1 + 24);
    expect(hourly[hourly.length - 1]).toMatch(/^2024-01-01T23:00:00\.000Z,/);
    // The last hour ends at the run's final equity.
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { statistics: { finalEquity: number } };
    expect(Number((hourly[hourly.length - 1] as string).split(',')[2])).toBe(summary.statistics.finalEquity);
    // equity.csv: each hour's first point, then the final equity at the last event (not 00:00 of the next day).
    const equity = readFileSync(join(out, 'equity.csv'), 'utf8').trim().split('\n');
    expect(equity[equity.length - 2]).toMatch(/^2024-01-01T23:00:00\.000Z,/);
    expect(equity[equity.length - 1]).toMatch(/^2024-01-01T23:59:\d\d\.\d{3}Z,/);
    expect(Number((equity[equity.length - 1] as string).split(',')[1])).toBe(summary.statistics.finalEquity);
  });

  it('backtest writes the four files and the summary a trader reads', async () => {
    const data = writeZigzagCandles();
    const out = join(mkdtempSync(join(tmpdir(), 'coinrx-bt-out-')), 'nested');
    const c = captureIo();
    const code = await main(['backtest', '--data', data, '--out', out, '--set', 'features.every=5m', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'ranking.top=1', '--set', 'strategy.skipBearMarket=false', '--set', 'simulator.fillModel=touch'], c.io);
    expect(code).toBe(0);
    for (const f of ['summary.json', 'trades.csv', 'equity.csv', 'hourly.csv']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(c.out()).toMatch(/quote KRW/);
    expect(c.out()).toMatch(/^risk {8}max drawdown \d+\.\d\d%, Sharpe -?\d+\.\d\d, Sortino -?\d+\.\d\d, exposure/m);
    expect(c.err()).toMatch(/read 2592 events from 3 file\(s\); 0 malformed/);
    const trades = readFileSync(join(out, 'trades.csv'), 'utf8').trim().split('\n');
    expect(trades[0]).toBe('position_id,market,opened,closed,amount,entry_price,exit_price,spent,received,fees,pnl,return,reason,regime_1h,regime_6h,regime_12h,regime_24h');
    expect(trades.length).toBeGreaterThan(1);
    const hourly = readFileSync(join(out, 'hourly.csv'), 'utf8').trim().split('\n');
    // Candles close from 00:05 to exactly 72 h later: hours 0 … 72.
    expect(hourly).toHaveLength(1 + 73);
  });

  it('backtest without --data is a usage error naming the flag', async () => {
    const c = captureIo();
    expect(await main(['backtest'], c.io)).toBe(2);
    expect(c.err()).toMatch(/--data is required/);
  });
});
