import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { TradeEvent } from '../../src/core/index.js';
import { skipWithoutRedis } from '../helpers/redis-server.js';
import { LiveSessions } from '../helpers/live-sessions.js';
import { krwOnlyAccounts } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { tradingBehindProxy } from '../helpers/upbit-behind-proxy.js';

/**
 * An accounts answer too high for a moment at a new UTC day's first equity report. The bot opened the day at
 * it, the next right read was a 50 % daily loss, its confirming read 5 s later (right too) confirmed it, and
 * the bot halted for the day (with `bot.onStop: liquidate`, selling every holding) with nothing lost. A new
 * day's opening now waits for a read asked 5 s (`balanceLagMs`) after it. Real ccxt against the local Upbit
 * server behind a fault proxy, a real redis-server.
 */
const config = parseConfig({ botId: 'dayopen', exchange: { id: 'upbit', quote: 'KRW', markets: ['XRP/KRW'] }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
const sessions = new LiveSessions(config);

describe.skipIf(skipWithoutRedis())('an account endpoint that answers too much at a new day’s first report', () => {
  it('does not open the day there (and trip the daily loss limit on the next right read): the opening waits for a read 5 s later', async () => {
    const { proxy, node, kernel } = await tradingBehindProxy(sessions);
    // Minutes from 23:00 of the day before yesterday (all in the past), so the feed crosses into yesterday.
    const dayMs = 86_400_000;
    const midnight = Math.floor(Date.now() / dayMs) * dayMs - dayMs;
    let minute = 0;
    const batches = (n: number): void => {
      for (let i = 0; i < n; i++, minute++) kernel.feed({ kind: 'trade', market: 'XRP/KRW', ts: midnight - 60 * 60_000 + minute * 60_000, price: 3_000, amount: 1_000 } satisfies TradeEvent);
    };
    const bot = (): { value: unknown; context: { day: number; dayOpenEquity: number; stopReason: string | undefined } } => kernel.engine.bot.getSnapshot();
    // The day before: its opening known, its peak too.
    await waitFor(() => {
      if (minute < 50) batches(1);
      return bot().context.dayOpenEquity === 1_000_000;
    }, 'the first day opened', 15_000, 200);
    batches(Math.max(0, 58 - minute));
    expect(bot().context.day).toBe(Math.floor(midnight / dayMs) - 1);

    // The new day's first report reads twice the KRW; every read after it is right.
    proxy.rule = (method, p) => (method === 'GET' && p === '/v1/accounts' ? { kind: 'replace', status: 200, body: krwOnlyAccounts(2_000_000), contentType: 'application/json' } : { kind: 'forward' });
    await node.account.refresh();
    batches(65 - minute); // the minutes into the new day: its first reports are made on this read
    expect(kernel.engine.equity().equity).toBe(2_000_000);
    proxy.rule = () => ({ kind: 'forward' });
    await node.account.refresh();
    const until = Date.now() + 12_000;
    await waitFor(() => {
      batches(1);
      return Date.now() >= until;
    }, '12 s of batches', 15_000, 200);
    expect(bot().context).toMatchObject({ day: Math.floor(midnight / dayMs), dayOpenEquity: 1_000_000, stopReason: undefined });
    expect(bot().value).toBe('running');
  }, 60_000);
});
