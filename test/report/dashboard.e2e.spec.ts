import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// In-page globals (the spec compiles without the DOM library).
declare const document: { querySelectorAll(s: string): { length: number } };
declare const window: Record<string, unknown>;
import { WebSocket } from 'ws';
import { parseConfig } from '../../src/config.js';
import type { MarketEvent, Ranking } from '../../src/core/index.js';
import { createBacktest, type BacktestRun } from '../../src/engine/backtest.js';
import { generateMarket } from '../../src/market-data/generator.js';
import { DashboardServer } from '../../src/report/dashboard-server.js';
import { chartPoints, drawnPixels, launchChromium, SCREENSHOTS, skipWithoutChromium } from './chromium.js';

const START = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function get(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(skipWithoutChromium)('dashboard end to end in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: DashboardServer;
  let url: string;
  let run: BacktestRun;
  let events: Iterator<MarketEvent>;
  let now = START;
  let lastRanking: Ranking | undefined;
  const foreign: string[] = [];
  const pageErrors: string[] = [];

  /** Feeds events up to `until` (event time), stopping early when `stop` says so after an event. */
  function feedUntil(until: number, stop: () => boolean = () => false): boolean {
    for (;;) {
      const next = events.next();
      if (next.done) return false;
      run.feed(next.value);
      now = next.value.ts;
      if (stop()) return true;
      if (now >= until) return false;
    }
  }

  /** Feeds `minutes` of event time a minute at a time, letting the page update in between. */
  async function feedMinutes(minutes: number): Promise<void> {
    for (let i = 0; i < minutes; i++) {
      feedUntil(now + MINUTE);
      await sleep(15);
    }
  }

  beforeAll(async () => {
    run = createBacktest(parseConfig({ bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 } }), 'KRW', START);
    run.engine.listen({
      onRanking: (r) => {
        lastRanking = r;
      },
    });
    events = generateMarket({ seed: 1, markets: 8, start: START, durationMs: 4 * 3_600_000 })[Symbol.iterator]();
    server = new DashboardServer();
    url = await server.start({ port: 0, host: '127.0.0.1', intervalMs: 40 });
    server.attach(run.engine, { mode: 'backtest', tracker: run.tracker, quote: 'KRW', balances: () => run.exchange.getBalances() });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith(url.replace('http', 'ws'))) foreign.push(r.url());
    });
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves on loopback and refuses other hosts and cross-site websockets', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = new URL(url).port;
    expect(await get(`${url}vendor/uPlot.iife.min.js`, {})).toBe(200);
    expect(await get(url, { host: `evil.example:${port}` })).toBe(403);
    const ws = new WebSocket(`${url.replace('http', 'ws')}ws`, { headers: { origin: 'http://evil.example' } });
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('refused'));
      ws.on('unexpected-response', () => resolve('refused'));
    });
    ws.terminate();
    expect(outcome).toBe('refused');
  });

  it('fills the ranking table from the engine', async () => {
    await feedMinutes(6);
    expect(lastRanking?.ranking.length ?? 0).toBeGreaterThan(0);
    await page.waitForFunction((n) => document.querySelectorAll('#ranking tbody tr[data-market]').length === n, lastRanking?.ranking.length, { timeout: 10_000 });
    const markets = await page.$$eval('#ranking tbody tr[data-market]', (rows) => rows.map((r) => r.getAttribute('data-market')));
    const shown = await page.evaluate(() => (window as unknown as { coinrx: { view: { ranking: { ts: number } } } }).coinrx.view.ranking.ts);
    expect(shown).toBeGreaterThan(START);
    expect(markets.length).toBe(lastRanking?.ranking.length);
    expect(markets.every((m) => /\/KRW$/.test(m ?? ''))).toBe(true);
    // Each row carries the features behind its score.
    const cells = await page.$$eval('#ranking tbody tr[data-market]:first-child td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(cells).toHaveLength(16);
    expect(cells.slice(3, 12).filter((c) => c !== '—').length).toBeGreaterThan(6);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-ranking.png') });
  });

  it("highlights a position's state in the statechart and moves it when its fill arrives", async () => {
    let filled: string | undefined;
    for (let attempt = 0; attempt < 40 && !filled; attempt++) {
      // A position with a resting buy…
      let buying = run.engine.openPositions().find((p) => p.state === 'buying');
      while (!buying) {
        if (feedUntil(now + MINUTE)) break;
        buying = run.engine.openPositions().find((p) => p.state === 'buying');
      }
      if (!buying) break;
      const id = buying.positionId;
      await sleep(60);
      await page.click(`#positions tbody tr[data-position-id="${id}"]`);
      await page.waitForSelector(`#statechart[data-position="${id}"][data-active-state="buying"]`, { timeout: 10_000 });
      expect(await page.getAttribute('#statechart g.state.active', 'data-state')).toBe('buying');
      if (attempt === 0) await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-position-buying.png'), fullPage: false });
      // …fed until it leaves \`buying\`: when the fill completing the buy did it, that is the one.
      const left = feedUntil(now + 30 * MINUTE, () => !run.engine.openPositions().some((p) => p.positionId === id && p.state === 'buying'));
      const last = server.state?.view().positions.find((p) => p.positionId === id)?.history.at(-1);
      if (left && last?.from === 'buying' && last.event === 'order.fill') filled = id;
    }
    expect(filled).toBeDefined();
    const id = filled as string;
    const state = run.engine.openPositions().find((p) => p.positionId === id)?.state ?? 'settled';
    expect(state).not.toBe('buying');
    await page.waitForSelector(`#statechart[data-position="${id}"][data-active-state="${state}"]`, { timeout: 10_000 });
    expect(await page.getAttribute('#statechart g.state.active', 'data-state')).toBe(state);
    // The arc of the transition just taken is marked, and the history names the fill.
    const last = await page.$$eval('#statechart g.edge.last', (gs) => gs.map((g) => g.getAttribute('data-transitions') ?? ''));
    expect(last.join('|')).toContain('buying · order.fill');
    expect(await page.textContent('#history tbody tr:first-child')).toContain('order.fill');
    await page.locator('#statechart').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-position-filled.png') });
  });

  it('draws every chart with real points', async () => {
    // Enough event time for several hours, settled trades and regime changes.
    await feedMinutes(150);
    await sleep(200);
    const charts = ['equity', 'hourly', 'counts', 'regime-1h', 'regime-6h', 'regime-12h', 'regime-24h', 'coin'];
    await page.waitForFunction((names) => names.every((n) => (window as unknown as { coinrxCharts: Record<string, unknown> }).coinrxCharts[n]), charts, { timeout: 10_000 });
    for (const name of charts) {
      const points = (await page.evaluate(chartPoints(name))) as { x: number; y: number };
      expect(points.x, name).toBeGreaterThan(1);
      expect(points.y, name).toBeGreaterThan(1);
      expect(await page.evaluate(drawnPixels(`#chart-${name}`)), name).toBeGreaterThan(200);
    }
    expect(run.tracker.trades.length).toBeGreaterThan(0);
    const byRegime = (await page.evaluate(chartPoints('byRegime'))) as { x: number; y: number };
    expect(byRegime.x).toBe(run.tracker.byRegime().length);
    expect(await page.evaluate(drawnPixels('#chart-by-regime'))).toBeGreaterThan(200);
    // The coin picked in the ranking drives the price chart.
    const second = await page.getAttribute('#ranking tbody tr[data-market]:nth-child(2)', 'data-market');
    await page.click('#ranking tbody tr[data-market]:nth-child(2)');
    await page.waitForFunction((m) => (window as unknown as { coinrx: { view: { charts: { coin: { market: string } } } } }).coinrx.view.charts.coin.market === m, second, { timeout: 10_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-full.png'), fullPage: true });
  });

  it('pauses and resumes the bot from the page', async () => {
    await page.click('#btn-pause');
    await page.waitForSelector('#bot-state.state-paused', { timeout: 10_000 });
    expect(String(run.engine.bot.getSnapshot().value)).toBe('paused');
    await page.click('#btn-start');
    await page.waitForSelector('#bot-state.state-running', { timeout: 10_000 });
    expect(String(run.engine.bot.getSnapshot().value)).toBe('running');
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('disables Start once the replay has no more data, and says "end of data"', async () => {
    run.engine.finish();
    await page.waitForSelector('#bot-state.state-stopped', { timeout: 10_000 });
    await page.waitForFunction(`document.querySelector('#control-message').textContent === 'end of data'`, undefined, { timeout: 10_000 });
    expect(await page.$eval('#btn-start', (b) => (b as unknown as { disabled: boolean }).disabled)).toBe(true);
    expect(await page.getAttribute('#btn-start', 'title')).toBe('end of data');
    expect(pageErrors).toEqual([]);
  });
});
