import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { Order, TradeEvent } from '../../src/core/index.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import { createBacktest } from '../../src/engine/backtest.js';
import { loadFillLedger } from '../../src/engine/live-restore.js';
import { liveNode, type LiveNode } from '../../src/engine/nodes/live-node.js';
import { recordToStore } from '../../src/engine/store-recorder.js';
import { RedisStore } from '../../src/store/index.js';
import { positionResult, type PositionContext } from '../../machines/index.js';
import { BinanceServer } from '../helpers/binance-server.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A Binance fill found over REST (the private stream down) is reported at the taker-rate estimate: an order
 * query carries no commission. The exchange's own fee, read from the order's trades afterwards, must reach
 * everything the bot keeps of that fill — the position (its P&L), the fill record and the order's entry in
 * the store — once, without counting the amount again. Real ccxt against the local Binance server, a real
 * redis-server.
 */
let server: BinanceServer | undefined;
let redis: RedisTestServer | undefined;
let node: LiveNode | undefined;
let store: RedisStore | undefined;

afterEach(async () => {
  await node?.close().catch(() => undefined);
  node = undefined;
  await store?.close().catch(() => undefined);
  store = undefined;
  await server?.close();
  server = undefined;
  await redis?.stop();
  redis = undefined;
});

describe.skipIf(skipWithoutRedis())('live on Binance: a fee reported at an estimate is corrected', () => {
  it('fills found by a poll: the position, its round trip’s P&L, the fill records and the order entries take the exchange’s fee once', async () => {
    redis = await RedisTestServer.start();
    // 0.075 % taken in the coin bought, against ccxt's taker rate of 0.1 % for Binance: the estimate.
    server = await BinanceServer.start({ enforceRateLimits: false, feeRate: 0.00075, balances: { USDT: 1_000 } });
    const config = parseConfig({ botId: 'fee', exchange: { id: 'binance', quote: 'USDT', markets: ['XRP/USDT'] }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
    const exchange = new CcxtExchange({ exchangeId: 'binance', apiKey: server.apiKey, secret: server.secret, restUrl: server.restUrl, privateStream: false, pollIntervalMs: 100 });
    const rules = new Map((await exchange.markets()).map((r) => [r.market, r]));
    store = new RedisStore({ botId: 'fee', url: redis.url });
    const lines: string[] = [];
    node = await liveNode({ config, live: { exchange, rules, where: server.restUrl }, store, log: (l) => lines.push(l) });
    const kernel = node.start();
    await waitFor(() => lines.includes('reconciled; trading'), 'trading', 10_000);

    // A rising market under the exchange's price: the buy rests.
    const t0 = Date.now() - 10 * 60_000;
    const trade = (minute: number, price: number): TradeEvent => ({ kind: 'trade', market: 'XRP/USDT', ts: t0 + minute * 60_000, price, amount: 1_000 });
    for (let m = 0; m < 6; m++) kernel.feed(trade(m, 0.49 + m * 0.001));
    await waitFor(() => node!.account.getOpenOrders().length === 1, 'the buy resting', 5_000);
    const buy = node.account.getOpenOrders()[0]!;
    server.fillOrder(buy.id);
    await waitFor(() => kernel.engine.openPositions()[0]?.state === 'holding', 'the fill found by a poll', 5_000);
    await waitFor(() => exchange.stats().feeCorrections === 1, 'the fee read from the trades', 5_000);
    await new Promise((r) => setTimeout(r, 500)); // further polls and checks had their chance
    await store.flush();

    const cost = buy.amount * buy.price;
    // What Binance took: 0.075 % of the XRP bought, worth this in USDT at the fill price. The estimate was 0.1 % of the cost.
    const fee = cost * 0.00075;
    const coins = buy.amount * (1 - 0.00075); // what the account received
    const positions = [...(await store.loadSnapshots('position')).values()].map((j) => JSON.parse(j) as { value: string; context: PositionContext });
    expect(positions).toHaveLength(1);
    const context = positions[0]!.context;
    // The position counts the coins the account received: the trades showed the fee taken from them.
    expect(context.boughtBefore).toBeCloseTo(coins, 9);
    expect(context.buyFeesBefore).toBeCloseTo(fee, 9);
    // The round trip's cost as its P&L counts it: what the buy cost the account, its fee once.
    expect(positionResult(context).spent).toBeCloseTo(cost, 9);
    const fills = [...(await store.loadSnapshots('fill')).values()].map((j) => JSON.parse(j) as { amount: number; fee: number });
    expect(fills.map((f) => f.amount)).toEqual([buy.amount]);
    expect(fills[0]!.fee).toBeCloseTo(fee, 9);
    const entry = JSON.parse((await store.loadSnapshots('order')).get(buy.clientId)!) as { executed: number; applied: number; fee: number };
    expect(entry).toMatchObject({ executed: buy.amount, applied: buy.amount });
    expect(entry.fee).toBeCloseTo(fee, 9);
    // The estimate's fill and the correction are in the event log; the fill once.
    const events = await store.readEvents();
    expect(events.filter((e) => e.type === 'fill')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'order.event' && (e.data as { type: string }).type === 'order.feeCorrected')).toHaveLength(1);
    expect(kernel.tracker.summary()).toMatchObject({ fills: 1 });

    // The take-profit's sell (decided when the next feature batch closes), filled and found by a poll: its
    // correction, read after the position settled, reaches the round trip (the session's results, the statistics).
    kernel.feed(trade(7, 0.53));
    kernel.feed(trade(8, 0.53));
    await waitFor(() => node!.account.getOpenOrders().some((o) => o.side === 'sell'), 'the sell resting', 5_000);
    const sell = node.account.getOpenOrders().find((o) => o.side === 'sell')!;
    // The trades' first read fails (503, retried, failing again): the position settles before the sell's fee is known.
    server.failNext(503, 4, '/api/v3/myTrades');
    server.fillOrder(sell.id);
    await waitFor(() => node!.account.getOpenOrders().length === 0, 'the sell filled', 5_000);
    // What the buy's fee in the coin left is dust under the minimum order: the next batch writes it off.
    kernel.feed(trade(9, 0.53));
    kernel.feed(trade(10, 0.53));
    await waitFor(() => kernel.engine.results.length === 1, 'the position settled', 5_000);
    expect(exchange.stats().feeCorrections).toBe(1);
    await waitFor(() => exchange.stats().feeCorrections === 2, 'the sell’s fee read from the trades', 10_000);
    const proceeds = sell.amount * sell.price;
    // Binance took 0.075 % of the USDT received.
    const sellFee = proceeds * 0.00075;
    const result = kernel.engine.results[0]!;
    expect(result.fees).toBeCloseTo(fee + sellFee, 9);
    // The sell was cut to whole lots of the coins received; the dust under a lot is a loss at its cost.
    expect(sell.amount).toBeCloseTo(Math.floor(coins * 10) / 10, 9);
    expect(result.pnl).toBeCloseTo(proceeds - sellFee - cost, 9);
    expect(kernel.tracker.trades[0]!.pnl).toBeCloseTo(result.pnl, 9);
    await store.flush();
    const recorded = [...(await store.loadSnapshots('fill')).values()].map((j) => JSON.parse(j) as { side: string; fee: number });
    expect(recorded.find((f) => f.side === 'sell')!.fee).toBeCloseTo(sellFee, 9);
  });
  it('a fee corrected after a restart rewrites the fill record the crashed process wrote at the estimate', async () => {
    redis = await RedisTestServer.start();
    const config = parseConfig({ botId: 'fee2', exchange: { id: 'binance', quote: 'USDT', markets: ['XRP/USDT'] } });
    const ts = Date.UTC(2024, 0, 1);
    const order: Order = { id: '42', clientId: 'fee2-p1-b1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 100, status: 'filled', filled: 100, cost: 50, fee: 0.05, ts };
    // The process before the crash: the fill found over REST, recorded at the estimate (0.1 % of 50 USDT).
    const before = new RedisStore({ botId: 'fee2', url: redis.url });
    recordToStore(createBacktest(config, 'USDT', ts).engine, before, {}, await loadFillLedger(before)).onOrderEvent!({
      type: 'order.fill',
      ts,
      order,
      fill: { orderId: '42', clientId: order.clientId, market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 100, fee: 0.05, ts },
    });
    await before.close();
    // The restarted process: its check reads the exchange's fee (0.0375) and corrects the order once.
    store = new RedisStore({ botId: 'fee2', url: redis.url });
    const ledger = await loadFillLedger(store);
    recordToStore(createBacktest(config, 'USDT', ts).engine, store, {}, ledger).onOrderEvent!({ type: 'order.feeCorrected', ts: ts + 60_000, order: { ...order, fee: 0.0375 }, delta: -0.0125 });
    await store.flush();
    const fills = [...(await store.loadSnapshots('fill')).values()].map((j) => JSON.parse(j) as { id: string; amount: number; fee: number });
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ id: '42:100', amount: 100 });
    expect(fills[0]!.fee).toBeCloseTo(0.0375, 12);
    expect(JSON.parse((await store.loadSnapshots('order')).get(order.clientId)!)).toMatchObject({ fee: 0.0375, applied: 100 });
  });
});
