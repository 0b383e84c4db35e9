import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { TradeEvent } from '../../src/core/index.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import type { Kernel } from '../../src/engine/kernel.js';
import { skipWithoutRedis } from '../helpers/redis-server.js';
import { LiveSessions } from '../helpers/live-sessions.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { startInOneUtcDay } from '../helpers/one-utc-day.js';

/**
 * One trade printed far from the market (a fat-finger sale in a thin market), the coin's market then silent. The
 * portfolio values a holding at its last trade, so the equity fell past the limits; the kill switch's confirming
 * read, 5 s later, re-read the balances (right) but not the price, and the bot halted for good (with
 * `liquidate`, selling everything) with nothing lost. A trip now also waits, at most a minute, for a trade of each
 * held coin after it. Real ccxt against the local Upbit server, a real redis-server; 1 s batches.
 */
const config = parseConfig({ botId: 'print', exchange: { id: 'upbit', quote: 'KRW', markets: ['XRP/KRW', 'BTC/KRW'] }, features: { every: '1s' }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
const sessions = new LiveSessions(config);

/**
 * A live session on the local Upbit server (XRP and BTC) holding XRP bought at about 3,000 KRW, and its feed: each
 * trade `stepMs` of event time after the last (or after `jumpTo`), from `t0` on (6 minutes of XRP trades first, which buy it).
 */
async function holdingXrp(t0: number): Promise<{ kernel: Kernel; lines: string[]; trade: (market: string, price: number, stepMs: number) => void; lastTs: () => number; jumpTo: (ts: number) => void }> {
  await sessions.start();
  const server = sessions.closeAfter(await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-XRP', price: 3_000 }, { code: 'KRW-BTC', price: 50_000_000 }] }));
  const lines: string[] = [];
  const exchange = new CcxtExchange({ restUrl: server.restUrl, wsUrl: server.wsUrl, apiKey: server.accessKey, secret: server.secretKey, pollIntervalMs: 100 });
  const node = await sessions.node(exchange, lines, server.restUrl);
  const kernel = node.start();
  await waitFor(() => lines.includes('reconciled; trading'), 'trading', 10_000);
  let ts = t0;
  const trade = (market: string, price: number, stepMs: number): void => void kernel.feed({ kind: 'trade', market, ts: (ts += stepMs), price, amount: 1 } satisfies TradeEvent);
  for (let m = 0; m < 6; m++) trade('XRP/KRW', 2_990 + m * 2, 60_000);
  await waitFor(() => node.account.getOpenOrders().length === 1, 'the buy resting', 5_000);
  server.fillOrder(node.account.getOpenOrders()[0]!.id);
  await waitFor(() => kernel.engine.openPositions()[0]?.state === 'holding', 'holding', 5_000);
  return { kernel, lines, trade, lastTs: () => ts, jumpTo: (to) => void (ts = to) };
}

/** Calls `feed` every 200 ms for `ms` of wall time: the session's 1 s batches go on meanwhile. */
async function feedFor(ms: number, feed: () => void, what: string): Promise<void> {
  const until = Date.now() + ms;
  await waitFor(() => {
    feed();
    return Date.now() >= until;
  }, what, ms + 4_000, 200);
}

describe.skipIf(skipWithoutRedis())('a trade printed far from the market', () => {
  it('does not trip the kill switch while the coin has not traded again (at most a minute)', async () => {
    // Event times inside one UTC day, in the past.
    const { kernel, lines, trade } = await holdingXrp(startInOneUtcDay(60 * 60_000, 50 * 60_000));
    const bot = (): { value: unknown; context: { dayOpenEquity: number; stopReason: string | undefined } } => kernel.engine.bot.getSnapshot();
    await waitFor(() => {
      trade('XRP/KRW', 3_000, 1_000);
      return bot().context.dayOpenEquity > 0 && kernel.engine.bot.getSnapshot().context.equity > 0;
    }, 'the day opened', 15_000, 200);
    const before = kernel.engine.equity().equity;

    // One print at a tenth of the price; XRP trades no more, BTC does (the batches go on).
    trade('XRP/KRW', 300, 1_000);
    trade('BTC/KRW', 50_000_000, 1_000);
    expect(kernel.engine.equity().equity).toBeLessThan(before * 0.9);
    await feedFor(8_000, () => trade('BTC/KRW', 50_000_000, 1_000), '8 s of batches');
    expect(lines.some((l) => /trips the kill-switch/.test(l))).toBe(true);
    expect(bot().value).toBe('running');

    // XRP trades at its price again: the equity is whole, nothing tripped.
    trade('XRP/KRW', 3_000, 1_000);
    trade('BTC/KRW', 50_000_000, 1_000);
    expect(kernel.engine.equity().equity).toBeCloseTo(before, -3);
    expect(bot().value).toBe('running');
    expect(bot().context.stopReason).toBeUndefined();

    // A fall the market goes on trading at: the trip acts once its read is in and XRP has traded since.
    await waitFor(() => {
      trade('XRP/KRW', 300, 1_000);
      return bot().value !== 'running';
    }, 'the kill switch on a real fall', 15_000, 200);
    expect(bot().context.stopReason).toBe('kill-switch: daily loss limit');
  }, 60_000);

  it('far above the market does not raise the equity peak (and trip the drawdown halt at the next right price)', async () => {
    const { kernel, trade } = await holdingXrp(startInOneUtcDay(60 * 60_000, 50 * 60_000));
    const bot = (): { value: unknown; context: { peakEquity: number; stopReason: string | undefined } } => kernel.engine.bot.getSnapshot();
    await waitFor(() => {
      trade('XRP/KRW', 3_000, 1_000);
      return bot().context.peakEquity > 0;
    }, 'the first peak', 20_000, 200);
    const before = kernel.engine.equity().equity;

    // One print at ten times the price; XRP trades no more for 8 s, BTC does.
    trade('XRP/KRW', 30_000, 1_000);
    await feedFor(8_000, () => trade('BTC/KRW', 50_000_000, 1_000), '8 s of batches');
    // XRP at its price again, for 8 s more: no drawdown from a peak that never was.
    await feedFor(8_000, () => trade('XRP/KRW', 3_000, 1_000), '8 s more');
    expect(bot().context.peakEquity).toBeLessThan(before * 1.1);
    expect(bot().value).toBe('running');
    expect(bot().context.stopReason).toBeUndefined();
  }, 60_000);

  it('far above the market at a new day’s first report does not open the day there (and trip the daily loss limit at the next right price)', async () => {
    // Yesterday's midnight, in the past: the feed crosses it.
    const dayMs = 86_400_000;
    const midnight = Math.floor(Date.now() / dayMs) * dayMs - dayMs;
    const { kernel, trade, lastTs, jumpTo } = await holdingXrp(midnight - 30 * 60_000);
    const bot = (): { value: unknown; context: { day: number; dayOpenEquity: number; stopReason: string | undefined } } => kernel.engine.bot.getSnapshot();
    await waitFor(() => {
      trade('XRP/KRW', 3_000, 1_000);
      return bot().context.dayOpenEquity > 0;
    }, 'the day before opened', 20_000, 200);
    const before = kernel.engine.equity().equity;
    expect(lastTs()).toBeLessThan(midnight - 60_000);

    // One print at ten times the price a second before midnight; XRP silent for 8 s, BTC trading across midnight.
    jumpTo(midnight - 2_000);
    trade('XRP/KRW', 30_000, 1_000);
    await feedFor(8_000, () => trade('BTC/KRW', 50_000_000, 1_000), '8 s of batches');
    await feedFor(8_000, () => trade('XRP/KRW', 3_000, 1_000), '8 s more');
    expect(bot().context.day).toBe(Math.floor(midnight / dayMs));
    expect(bot().context.dayOpenEquity).toBeLessThan(before * 1.1);
    expect(bot().value).toBe('running');
  }, 60_000);
});
