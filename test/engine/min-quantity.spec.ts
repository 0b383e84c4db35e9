import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { TradeEvent } from '../../src/core/index.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import { BinanceServer } from '../helpers/binance-server.js';
import { skipWithoutRedis } from '../helpers/redis-server.js';
import { LiveSessions } from '../helpers/live-sessions.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Binance's LOT_SIZE `minQty` above the lot step. The rules took the minimum order from the notional only, so a
 * position holding less than `minQty` (a buy filled in part, then cancelled) but worth more than the notional
 * minimum asked for a sell at every exit, each refused (`-1013 Filter failure: LOT_SIZE`): the position held its
 * slot for good. It is dust the exchange cannot sell, and is closed as such. Real ccxt against the local Binance
 * server, a real redis-server.
 */
const config = parseConfig({ botId: 'minqty', exchange: { id: 'binance', quote: 'USDT', markets: ['SOL/USDT'] }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false, chaseTicks: 20 }, ranking: { top: 1 } });
const sessions = new LiveSessions(config);

describe.skipIf(skipWithoutRedis())('a position under the market’s minimum quantity', () => {
  it('is closed as dust, not asked to sell again and again', async () => {
    await sessions.start();
    const server = sessions.closeAfter(
      await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 1_000 }, markets: [{ symbol: 'SOLUSDT', baseAsset: 'SOL', quoteAsset: 'USDT', tickSize: '0.01000000', stepSize: '0.01000000', minQty: '0.10000000', minNotional: '5.00000000', price: 150 }] }),
    );
    const lines: string[] = [];
    const exchange = new CcxtExchange({ exchangeId: 'binance', apiKey: server.apiKey, secret: server.secret, restUrl: server.restUrl, pollIntervalMs: 100 });
    const node = await sessions.node(exchange, lines, server.restUrl);
    const kernel = node.start();
    await waitFor(() => lines.includes('reconciled; trading'), 'trading', 10_000);
    const t0 = Date.now() - 30 * 60_000;
    let minute = 0;
    const trade = (price: number): void => void kernel.feed({ kind: 'trade', market: 'SOL/USDT', ts: t0 + minute++ * 60_000, price, amount: 100 } satisfies TradeEvent);
    for (let m = 0; m < 6; m++) trade(149.5 + m * 0.1);
    await waitFor(() => node.account.getOpenOrders().length === 1, 'the buy resting', 5_000);
    const buy = node.account.getOpenOrders()[0]!;
    // 0.05 SOL bought (7.5 USDT: over the 5 USDT notional, under the 0.1 SOL minimum), then the price runs away: the buy is cancelled.
    server.fillOrder(buy.id, 0.05);
    await waitFor(() => (kernel.engine.openPositions()[0]?.amount ?? 0) > 0, 'the part filled', 5_000);
    trade(160);
    trade(160);
    await waitFor(() => kernel.engine.openPositions()[0]?.state === 'holding', 'the buy cancelled, its part held', 10_000);
    // Exits at +6 %: each batch at 160 asks for the take-profit's sell (each refused, before).
    await waitFor(() => {
      trade(160);
      return kernel.engine.results.length === 1;
    }, 'the position closed', 10_000, 200);
    expect(kernel.engine.results[0]?.reason).toMatch(/dust/);
    // Its slot is free again (the strategy may buy the coin anew).
    expect(kernel.engine.openPositions().map((p) => p.positionId)).not.toContain(kernel.engine.results[0]?.positionId);
    expect(server.requestsTo('/api/v3/order', 'POST').filter((r) => r.query['side'] === 'SELL' || r.body?.['side'] === 'SELL')).toHaveLength(0);
  }, 60_000);
});
