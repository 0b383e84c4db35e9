import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config.js';
import { runBacktest } from '../../src/engine/backtest.js';
import { writeBacktestOutput } from '../../src/engine/backtest-output.js';
import { generateMarket } from '../../src/market-data/generator.js';
import { batched } from '../../src/market-data/batched.js';
import { backtestView, parseCsv, readBacktestFiles } from '../../src/report/backtest-view.js';
import { writeStaticReport } from '../../src/report/static-report.js';
import { chartPoints, drawnPixels, launchChromium, SCREENSHOTS, skipWithoutChromium } from './chromium.js';

const START = Date.UTC(2024, 0, 1);


async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  const code = await main(argv, { stdout, stderr, interactive: false, env: {}, signal: new AbortController().signal });
  return { code, out, err };
}

describe('static backtest report', () => {
  let dir: string;
  let trades: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coinrx-report-'));
    const config = parseConfig({ bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 } });
    const result = await runBacktest(batched(generateMarket({ seed: 3, markets: 8, start: START, durationMs: 8 * 3_600_000 }), 8192), config, { quote: 'KRW' });
    await writeBacktestOutput(join(dir, 'out'), result, config);
    trades = result.tracker.trades.length;
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the output folder into the same view the live page renders', async () => {
    const view = backtestView(await readBacktestFiles(join(dir, 'out')), null);
    expect(view.kind).toBe('report');
    expect(view.trades).toHaveLength(Math.min(trades, parseCsv(readFileSync(join(dir, 'out', 'trades.csv'), 'utf8')).length));
    expect(view.charts.equity.ts.length).toBeGreaterThan(2);
    expect(view.charts.hourly.ts).toHaveLength(parseCsv(readFileSync(join(dir, 'out', 'hourly.csv'), 'utf8')).length);
    expect(view.charts.hourly.ts.length).toBeGreaterThanOrEqual(8);
    expect(view.charts.regimes.source).toBe('trades');
    expect(view.charts.byRegime.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });

  it('coinrx report writes one HTML file and explains a wrong folder', async () => {
    const out = join(dir, 'r.html');
    const ok = await cli(['report', join(dir, 'out'), '--out', out]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(out);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)/);
    expect(html).toContain('uPlot');
    const missing = await cli(['report', join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('summary.json');
    expect((await cli(['report'])).code).toBe(2);
  });

  describe.skipIf(skipWithoutChromium)('in Chromium with the network blocked', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('opens from file:// with every chart drawn and nothing fetched', async () => {
      const { path } = await writeStaticReport(join(dir, 'out'));
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const blocked: string[] = [];
      const errors: string[] = [];
      await context.route('**', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        blocked.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(path).href);
      await page.waitForFunction('window.coinrx && window.coinrx.updates > 0');
      for (const name of ['equity', 'hourly', 'counts', 'byRegime', 'regime-1h', 'regime-24h']) {
        const points = (await page.evaluate(chartPoints(name))) as { x: number; y: number };
        expect(points.x, name).toBeGreaterThan(0);
        expect(points.y, name).toBeGreaterThan(0);
      }
      expect(await page.evaluate(drawnPixels('#chart-equity'))).toBeGreaterThan(200);
      expect(await page.evaluate(drawnPixels('#chart-hourly'))).toBeGreaterThan(200);
      expect(await page.$$eval('#trades tbody tr', (rows) => rows.length)).toBe(Math.min(trades, 100) || 1);
      expect(await page.$$eval('#statechart g.state', (gs) => gs.length)).toBe(9);
      expect(await page.textContent('#mode')).toBe('backtest report');
      // Live-only panels are left out rather than shown empty; orders and fills come from trades.csv.
      expect(await page.$eval('#ranking-panel', (el) => (el as unknown as { style: { display: string } }).style.display)).toBe('none');
      expect(await page.$eval('#history-block', (el) => (el as unknown as { style: { display: string } }).style.display)).toBe('none');
      if (trades > 0) expect(await page.$$eval('#fills tbody tr', (rows) => rows.length)).toBeGreaterThan(1);
      const cards = await page.$$eval('#summary .card .k', (ks) => ks.map((k) => k.textContent));
      expect(cards).toEqual(expect.arrayContaining(['exposure, time average', 'exposure at the end']));
      expect(cards).not.toContain('exposure');
      // Bar charts keep half a slot of room before the first bar and after the last (none clipped).
      const room = (await page.evaluate(`(() => ['byRegime', 'hourly', 'counts'].map((n) => { const c = window.coinrxCharts[n]; const xs = c.data[0]; return [n, c.scales.x.min < xs[0], c.scales.x.max > xs[xs.length - 1]]; }))()`)) as [string, boolean, boolean][];
      for (const [name, before, after] of room) expect([name, before, after]).toEqual([name, true, true]);
      // Invested is a filled area under the equity line, on the same scale.
      const fills = (await page.evaluate(`(() => { const u = window.coinrxCharts.equity; return u.series.slice(1).map((s, i) => [s.label, s.scale, (typeof s.fill === 'function' ? s.fill(u, i + 1) : s.fill) || null]); })()`)) as [string, string, string | null][];
      expect(fills).toEqual([['invested', 'y', 'rgba(155,123,255,.28)'], ['equity', 'y', null]]);
      await page.screenshot({ path: join(SCREENSHOTS, 'report.png'), fullPage: true });
      writeFileSync(join(SCREENSHOTS, 'report-blocked.json'), JSON.stringify(blocked));
      expect(blocked).toEqual([]);
      expect(errors).toEqual([]);
      await context.close();
    });
  });
});
