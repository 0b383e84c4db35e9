import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { skipWithoutRedis } from '../helpers/redis-server.js';
import { LiveSessions } from '../helpers/live-sessions.js';
import { krwOnlyAccounts } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { startInOneUtcDay } from '../helpers/one-utc-day.js';
import { minuteTrades } from '../helpers/minute-trades.js';
import { tradingBehindProxy } from '../helpers/upbit-behind-proxy.js';

/**
 * An accounts answer too high for a moment (a deposit counted twice, then gone). The bot's equity peak, from
 * which the max-drawdown halt (for good; with `bot.onStop: liquidate`, every holding sold) is measured, took it:
 * the next right read looked like a 50 % drawdown and the bot halted with nothing lost. A new peak is believed
 * only once a read 5 s later (`balanceLagMs`) is in, and only as high as every equity seen since. Real ccxt
 * against the local Upbit server behind a fault proxy, a real redis-server.
 */
const config = parseConfig({ botId: 'peak', exchange: { id: 'upbit', quote: 'KRW', markets: ['XRP/KRW'] }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
const sessions = new LiveSessions(config);

describe.skipIf(skipWithoutRedis())('an account endpoint that answers too much for a moment', () => {
  it('does not raise the equity peak (and trip the drawdown halt on the next right read) unless a read 5 s later confirms it', async () => {
    const { proxy, node, kernel } = await tradingBehindProxy(sessions);
    // Every minute fed inside one UTC day (a new day would reopen the day's figures mid-test).
    const t0 = startInOneUtcDay(20 * 60_000, 150 * 60_000);
    const batches = minuteTrades(kernel, 'XRP/KRW', 3_000, t0);
    const bot = (): { value: unknown; context: { peakEquity: number; stopReason: string | undefined; drawdownHalt: boolean } } => kernel.engine.bot.getSnapshot();
    const accounts = (body: string | undefined): void => {
      proxy.rule = (method, p) => (body !== undefined && method === 'GET' && p === '/v1/accounts' ? { kind: 'replace', status: 200, body, contentType: 'application/json' } : { kind: 'forward' });
    };
    batches(4);
    // The first equity is a new peak too: it counts once its confirming read is in (after the day's opening's own).
    await waitFor(() => {
      batches(1);
      return bot().context.peakEquity === 1_000_000;
    }, 'the first peak confirmed', 20_000, 200);

    // One read doubles the KRW, the next is right again.
    accounts(krwOnlyAccounts(2_000_000));
    await node.account.refresh();
    batches(2);
    expect(kernel.engine.equity().equity).toBe(2_000_000);
    accounts(undefined);
    await node.account.refresh();
    expect(kernel.engine.equity().equity).toBe(1_000_000);
    // Well past the 5 s a peak or a trip waits for.
    const until = Date.now() + 7_000;
    await waitFor(() => {
      batches(1);
      return Date.now() >= until;
    }, '7 s of batches', 10_000, 200);
    expect(bot().value).toBe('running');
    expect(bot().context).toMatchObject({ peakEquity: 1_000_000, stopReason: undefined, drawdownHalt: false });

    // A rise every read shows (a deposit that stays) is a new peak, taken once the read 5 s later is in.
    accounts(krwOnlyAccounts(1_200_000));
    await node.account.refresh();
    batches(1);
    expect(bot().context.peakEquity).toBe(1_000_000);
    await waitFor(() => {
      batches(1);
      return bot().context.peakEquity === 1_200_000;
    }, 'the lasting rise taken as the peak', 10_000, 200);
    expect(bot().value).toBe('running');
  }, 60_000);
});
