import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config.js';
import { createBacktest } from '../../src/engine/backtest.js';
import { batched } from '../../src/market-data/batched.js';
import { generateMarket } from '../../src/market-data/generator.js';
import { aggregateHourly, backtestView, chartPeriod, parseCsv, readBacktestFiles } from '../../src/report/backtest-view.js';
import { startDashboard, type RunningDashboard } from '../../src/report/start-dashboard.js';
import { captureIo } from '../helpers/capture-io.js';

const HOUR = 3_600_000;
const START = Date.UTC(2021, 0, 1);

/** Hourly rows over `hours`, with a return and wins/losses that vary, as hourly.csv writes them. */
function hourlyRows(hours: number): Record<string, string>[] {
  return Array.from({ length: hours }, (_, i) => {
    const wins = i % 5 === 0 ? 1 : 0;
    const losses = i % 7 === 0 ? 1 : 0;
    return { hour: new Date(START + i * HOUR).toISOString(), return: String(Math.sin(i) / 500), buys: String(i % 3), sells: String(i % 4), wins: String(wins), losses: String(losses), win_rate: wins + losses > 0 ? String(wins / (wins + losses)) : '' };
  });
}

describe('the report of a run', () => {
  it('aggregates hours into days past two weeks and weeks past half a year, against a brute-force sum', () => {
    expect(chartPeriod(10 * 24 * HOUR)).toBe('hour');
    expect(chartPeriod(90 * 24 * HOUR)).toBe('day');
    expect(chartPeriod(365 * 24 * HOUR)).toBe('week');
    const rows = hourlyRows(90 * 24);
    const days = aggregateHourly(rows, 'day');
    expect(days.ts).toHaveLength(90);
    expect(days.period).toBe('day');
    for (let d = 0; d < 90; d++) {
      const of = rows.slice(d * 24, d * 24 + 24);
      const growth = of.reduce((g, r) => g * (1 + Number(r['return'])), 1) - 1;
      const wins = of.reduce((a, r) => a + Number(r['wins']), 0);
      const losses = of.reduce((a, r) => a + Number(r['losses']), 0);
      expect(days.ts[d]).toBe(START + d * 24 * HOUR);
      expect(days.return[d]).toBeCloseTo(growth, 12);
      expect(days.buys[d]).toBe(of.reduce((a, r) => a + Number(r['buys']), 0));
      expect(days.winRate[d]).toBe(wins + losses > 0 ? wins / (wins + losses) : null);
    }
    // Weeks start on Monday 00:00 UTC (2021-01-04).
    const weeks = aggregateHourly(rows, 'week');
    expect(new Date(weeks.ts[1] as number).toISOString()).toBe('2021-01-04T00:00:00.000Z');
    expect(weeks.buys.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(rows.reduce((a, r) => a + Number(r['buys']), 0));
  });

  it('is titled by what ran, fills orders and fills from trades.csv, and names both exposures', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-report-demo-'));
    const c = captureIo();
    expect(await main(['demo', '--hours', '6', '--markets', '6', '--out', out, '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0'], c.io), c.err()).toBe(0);
    const view = backtestView(await readBacktestFiles(out), null);
    expect(view.mode).toBe('demo');
    expect(view.title).toBe('coinrx demo');
    const trades = parseCsv(readFileSync(join(out, 'trades.csv'), 'utf8'));
    expect(trades.length).toBeGreaterThan(0);
    expect(view.fills).toHaveLength(2 * trades.length);
    expect(view.orders).toHaveLength(2 * trades.length);
    const fees = trades.reduce((a, r) => a + Number(r['fees']), 0);
    expect(view.fills.reduce((a, f) => a + f.fee, 0)).toBeCloseTo(fees, 9);
    for (const r of trades) {
      const buy = view.fills.find((f) => f.clientId === `${r['position_id']}-buy`);
      expect(buy?.price).toBe(Number(r['entry_price']));
      expect(buy?.ts).toBe(Date.parse(r['opened'] as string));
    }
    const page = readFileSync(new URL('../../src/report/page/app.js', import.meta.url), 'utf8');
    expect(page).toContain("'exposure, time average'");
    expect(page).toContain("'exposure at the end'");
  });

  describe('the dashboard of a replay', () => {
    let dashboard: RunningDashboard | undefined;
    afterAll(async () => {
      await dashboard?.close();
    });

    it('refuses Start once the data has ended, saying "end of data"', async () => {
      dashboard = await startDashboard(undefined, { port: 0, log: () => undefined });
      const run = createBacktest(parseConfig({}), 'KRW', START);
      dashboard.attachRun(run, { mode: 'backtest' });
      for (const batch of batched(generateMarket({ seed: 2, markets: 4, start: START, durationMs: HOUR }), 4096)) for (const e of batch) run.feed(e);
      run.engine.finish();
      expect(String(run.engine.bot.getSnapshot().value)).toBe('stopped');
      expect(dashboard.server.control('start')).toEqual({ ok: false, message: 'end of data: the replay has ended' });
      expect(String(run.engine.bot.getSnapshot().value)).toBe('stopped');
    });
  });
});
