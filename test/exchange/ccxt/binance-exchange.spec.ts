import { afterEach, describe, expect, it } from 'vitest';
import type { Order, OrderEvent } from '../../../src/core/index.js';
import { CcxtExchange, type CcxtExchangeOptions } from '../../../src/exchange/ccxt/ccxt-exchange.js';
import { ExchangeBannedError, RestRateLimiter } from '../../../src/net/rate-limiter.js';
import { LiveAccount } from '../../../src/exchange/ccxt/live-account.js';
import { BinanceServer, DEFAULT_BINANCE_MARKETS, type BinanceServerOptions } from '../../helpers/binance-server.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * The one ccxt adapter on a second exchange: real ccxt.pro binance against the local Binance spot
 * server, through ccxt's unified API (`unifiedDialect`), with the same guarantees as on Upbit.
 */
let server: BinanceServer | undefined;
const adapters: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const a of adapters.splice(0)) await a.close().catch(() => undefined);
  await server?.close();
  server = undefined;
});

async function setup(options: BinanceServerOptions = {}, adapter: Partial<CcxtExchangeOptions> = {}): Promise<{ s: BinanceServer; ex: CcxtExchange; events: OrderEvent[] }> {
  const s = await BinanceServer.start({ enforceRateLimits: false, ...options });
  server = s;
  const ex = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, timeoutMs: 3_000, retryDelayMs: 20, pollIntervalMs: 100, random: () => 0.5, ...adapter });
  adapters.push(ex);
  const events: OrderEvent[] = [];
  ex.orderEvents$.subscribe((e) => events.push(e));
  return { s, ex, events };
}

/**
 * The process restarted after `ex` stopped: a new adapter on the same server (polls and reconciliation a
 * minute away) seeded with the order the restored position knew, then started.
 */
async function restartWith(s: BinanceServer, ex: CcxtExchange, known: Parameters<CcxtExchange['seed']>[0][number]): Promise<{ restarted: CcxtExchange; events: OrderEvent[] }> {
  await ex.close();
  adapters.splice(0);
  const restarted = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, timeoutMs: 3_000, retryDelayMs: 20, pollIntervalMs: 60_000, reconcileIntervalMs: 60_000, random: () => 0.5 });
  adapters.push(restarted);
  const events: OrderEvent[] = [];
  restarted.orderEvents$.subscribe((e) => events.push(e));
  restarted.seed([known]);
  await restarted.start();
  return { restarted, events };
}

/**
 * An adapter with its private stream up (the polls and reconciliation a minute away, so only the stream and
 * the calls a test makes move orders) and a 20 XRP buy at 0.5 whose NEW report it has heard.
 */
async function streamedBuy(clientId: string, feeRate: number): Promise<{ s: BinanceServer; ex: CcxtExchange; events: OrderEvent[]; placed: Order }> {
  const { s, ex, events } = await setup({ feeRate }, { pollIntervalMs: 60_000, reconcileIntervalMs: 60_000 });
  await ex.start();
  await waitFor(() => s.privateConnections > 0, 'the private stream', 5_000);
  const placed = await ex.createLimitOrder({ clientId, market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
  await waitFor(() => ex.stats().streamConnected, 'the NEW report', 5_000);
  return { s, ex, events, placed: placed as Order };
}

describe('CcxtExchange on Binance (real ccxt.pro binance, local server)', () => {
  it('reads the markets’ tick, lot, minimum total and fee from exchangeInfo, and the balances', async () => {
    const { ex } = await setup({ balances: { USDT: 1_000, BTC: 0.5 } });
    const rules = await ex.markets();
    expect(rules.map((r) => r.market)).toEqual(['BTC/USDT', 'ETH/USDT', 'XRP/USDT']);
    const btc = rules[0]!;
    expect(btc.tickSize(60_000)).toBe(0.01);
    expect(btc.amountStep).toBe(0.00001);
    expect(btc.minTotal).toBe(5);
    expect(btc.feeRate).toBeGreaterThan(0);
    const xrp = rules[2]!;
    expect([xrp.tickSize(0.5), xrp.amountStep]).toEqual([0.0001, 0.1]);
    expect(await ex.balances()).toEqual(expect.arrayContaining([{ currency: 'BTC', free: 0.5, locked: 0 }, { currency: 'USDT', free: 1_000, locked: 0 }]));
    expect(server!.requestsTo('/sapi/v1/capital/config/getall')).toHaveLength(0);
  });

  it('a markets re-read that fails leaves the order path alone; one that drops a market keeps it addressable for its resting orders', async () => {
    const { s, ex } = await setup({}, { attempts: 1 });
    await ex.markets();
    const resting = await ex.createLimitOrder({ clientId: 'mr-b1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    s.failNext(500, 1, '/api/v3/exchangeInfo');
    await expect(ex.markets()).rejects.toThrow(/500/);
    // With ccxt's loadMarkets(true), its failed reload was what every later order request awaited: each was refused with it.
    expect(await ex.createLimitOrder({ clientId: 'mr-b2', market: 'BTC/USDT', side: 'buy', price: 59_000, amount: 0.001 })).toMatchObject({ clientId: 'mr-b2', status: 'open' });
    s.delistMarket('XRPUSDT');
    expect((await ex.markets()).map((r) => r.market)).toEqual(['BTC/USDT', 'ETH/USDT']);
    // ccxt still knows XRP/USDT: a look-up or cancel of the order resting there is sent, and the exchange decides
    // (this server has forgotten the symbol: -1121), rather than refused here ("binance does not have market symbol").
    await expect(ex.fetchOrder({ clientId: 'mr-b1', market: 'XRP/USDT' })).rejects.toThrow(/-1121/);
    expect(s.requestsTo('/api/v3/order', 'GET').at(-1)?.query).toMatchObject({ symbol: 'XRPUSDT', origClientOrderId: 'mr-b1' });
    expect(resting?.status).toBe('open');
  });

  it('places a limit order with its client id, finds it by id and by client id, cancels it once', async () => {
    const { s, ex, events } = await setup();
    const placed = await ex.createLimitOrder({ clientId: 'coinrx-t-1-b1', market: 'BTC/USDT', side: 'buy', price: 59_000, amount: 0.001 });
    expect(placed).toMatchObject({ clientId: 'coinrx-t-1-b1', market: 'BTC/USDT', side: 'buy', price: 59_000, amount: 0.001, status: 'open', filled: 0 });
    expect(s.requestsTo('/api/v3/order', 'POST')[0]?.body).toMatchObject({ newClientOrderId: 'coinrx-t-1-b1', symbol: 'BTCUSDT', type: 'LIMIT' });
    expect(s.balance('USDT').locked).toBeCloseTo(59, 8);
    expect((await ex.fetchOrder({ id: placed!.id, market: 'BTC/USDT' }))?.clientId).toBe('coinrx-t-1-b1');
    expect((await ex.fetchOrder({ clientId: 'coinrx-t-1-b1', market: 'BTC/USDT' }))?.id).toBe(placed!.id);
    expect(await ex.fetchOrder({ clientId: 'nobody', market: 'BTC/USDT' })).toBeUndefined();
    expect((await ex.openOrders()).map((o) => o.clientId)).toEqual(['coinrx-t-1-b1']);
    await ex.cancelOrder(placed!.id);
    await waitFor(() => events.some((e) => e.type === 'order.cancelled'), 'the cancel');
    const cancelled = events.filter((e) => e.type === 'order.cancelled');
    expect(cancelled).toHaveLength(1);
    // Binance answers a cancel with the cancel's own client id; the order keeps its own.
    expect(cancelled[0]!.type === 'order.cancelled' && cancelled[0]!.order.clientId).toBe('coinrx-t-1-b1');
    expect(events.filter((e) => e.type === 'order.accepted')).toHaveLength(1);
    expect(s.balance('USDT')).toEqual({ free: 10_000, locked: 0 });
  });

  it('turns Binance’s refusals into rejects with their reasons, the exchange’s words kept', async () => {
    const { ex, events } = await setup({ balances: { USDT: 100 } });
    await ex.markets();
    expect(await ex.createLimitOrder({ clientId: 'r-1', market: 'BTC/USDT', side: 'buy', price: 60_000, amount: 0.01 })).toBeUndefined();
    expect(await ex.createLimitOrder({ clientId: 'r-2', market: 'BTC/USDT', side: 'buy', price: 60_000, amount: 0.00005 })).toBeUndefined();
    expect(await ex.createLimitOrder({ clientId: 'r-3', market: 'NOPE/USDT', side: 'buy', price: 1, amount: 10 })).toBeUndefined();
    const rejects = events.filter((e): e is Extract<OrderEvent, { type: 'order.rejected' }> => e.type === 'order.rejected');
    expect(rejects.map((r) => [r.clientId, r.reason])).toEqual([
      ['r-1', 'insufficient_funds'],
      ['r-2', 'under_minimum'],
      ['r-3', 'unknown_market'],
    ]);
    expect(rejects[0]!.message).toMatch(/insufficient balance/i);
    expect(rejects[1]!.message).toMatch(/NOTIONAL/);
  });

  it('a fill shows as one fill event with the fee in quote, also when Binance takes it in the coin bought', async () => {
    const { s, ex, events } = await setup({ feeRate: 0.001 });
    await ex.start();
    const placed = await ex.createLimitOrder({ clientId: 'f-1', market: 'ETH/USDT', side: 'buy', price: 2_500, amount: 0.01 });
    s.publishTrade('ETHUSDT', { price: 2_499, qty: 1 });
    await waitFor(() => events.some((e) => e.type === 'order.fill'), 'the fill', 5_000);
    await new Promise((r) => setTimeout(r, 300)); // the stream and the polls both had their chance
    const fills = events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');
    expect(fills).toHaveLength(1);
    expect(fills[0]!.fill).toMatchObject({ orderId: placed!.id, clientId: 'f-1', amount: 0.01, price: 2_500 });
    // 0.001 × 0.01 ETH charged in ETH, worth 0.025 USDT at the fill price.
    expect(fills[0]!.fill.fee).toBeCloseTo(0.025, 9);
    expect(s.balance('ETH').free).toBeCloseTo(0.00999, 12);
  });

  it('a fill a cancel answer brings before its trade report: the fee is the report\'s, not the taker estimate', async () => {
    // 0.075 % (BNB-discount-like rate) against ccxt's taker 0.1 %: the cancel answer carries no commission.
    const { s, ex, events, placed } = await streamedBuy('fee-1', 0.00075);
    s.delayFrames(['executionReport'], 500);
    s.fillOrder(placed.id, 5);
    await ex.cancelOrder(placed.id);
    await waitFor(() => events.some((e) => e.type === 'order.cancelled'), 'the cancel answer');
    await new Promise((r) => setTimeout(r, 1_000)); // the delayed trade report is in
    const fills = events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');
    expect(fills.map((f) => f.fill.amount)).toEqual([5]);
    // 0.00075 × 5 XRP taken in XRP, worth 0.001875 USDT at 0.5; the estimate was 0.001 × 2.5 USDT = 0.0025.
    expect(ex.getOrder({ id: placed.id })?.fee).toBeCloseTo(0.001875, 9);
    expect(fills[0]!.fill.fee).toBeCloseTo(0.001875, 9);
  });

  it('a fill a poll\'s look-up finds before its trade report: the fee is the report\'s, recorded once', async () => {
    const { s, ex, events, placed } = await streamedBuy('fee-2', 0.00075);
    s.delayFrames(['executionReport'], 500);
    s.fillOrder(placed.id);
    // What the poll does for a tracked order no longer listed open.
    await ex.fetchOrder({ id: placed.id, market: 'XRP/USDT', afterStream: true });
    await new Promise((r) => setTimeout(r, 700)); // the delayed report is in
    const fills = events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');
    expect(fills.map((f) => f.fill.amount)).toEqual([20]);
    // 0.00075 × 20 XRP worth 0.0075 USDT; the estimate was 0.001 × 10 USDT = 0.01.
    expect(fills[0]!.fill.fee).toBeCloseTo(0.0075, 9);
  });

  it('a fill a cancel answer brings more than a second before its trade report: the estimate is corrected once from the order’s trades, the amount counted once', async () => {
    const { s, ex, events, placed } = await streamedBuy('fee-3', 0.00075);
    s.delayFrames(['executionReport'], 2_500);
    s.fillOrder(placed.id, 5);
    await ex.cancelOrder(placed.id);
    const fills = (): Extract<OrderEvent, { type: 'order.fill' }>[] => events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');
    // The report is late: the cancel answer's fill stands at the taker estimate, 0.001 × 2.5 USDT.
    expect(fills().map((f) => [f.fill.amount, f.fill.fee])).toEqual([[5, expect.closeTo(0.0025, 9)]]);
    await waitFor(() => events.some((e) => e.type === 'order.feeCorrected'), 'the fee correction', 5_000);
    await new Promise((r) => setTimeout(r, 2_500)); // the delayed report is in: it adds neither amount nor fee
    const corrections = events.filter((e): e is Extract<OrderEvent, { type: 'order.feeCorrected' }> => e.type === 'order.feeCorrected');
    expect(corrections).toHaveLength(1);
    // 0.00075 × 5 XRP taken in XRP, worth 0.001875 USDT at 0.5: the estimate less 0.000625.
    expect(corrections[0]!.delta).toBeCloseTo(-0.000625, 9);
    expect(corrections[0]!.order).toMatchObject({ id: placed.id, filled: 5 });
    expect(corrections[0]!.order.fee).toBeCloseTo(0.001875, 9);
    expect(fills().map((f) => f.fill.amount)).toEqual([5]);
    expect(ex.getOrder({ id: placed.id })?.fee).toBeCloseTo(0.001875, 9);
    expect(ex.stats().feeCorrections).toBe(1);
  });

  it('a fill found by a poll while the private stream is down: its fee is corrected once from the order’s trades', async () => {
    const { s, ex, events } = await setup({ feeRate: 0.00075 }, { privateStream: false });
    await ex.start();
    const placed = await ex.createLimitOrder({ clientId: 'fee-4', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    s.fillOrder(placed!.id, 8);
    await waitFor(() => events.some((e) => e.type === 'order.fill'), 'the partial fill', 5_000);
    s.fillOrder(placed!.id);
    await waitFor(() => ex.getOrder({ id: placed!.id })?.status === 'filled', 'the whole fill', 5_000);
    await waitFor(() => Math.abs((ex.getOrder({ id: placed!.id })?.fee ?? 0) - 0.0075) < 1e-9, 'the corrected fee', 10_000);
    await new Promise((r) => setTimeout(r, 1_500)); // more polls and checks had their chance
    const fills = events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');
    expect(fills.map((f) => f.fill.amount)).toEqual([8, 12]);
    const corrections = events.filter((e): e is Extract<OrderEvent, { type: 'order.feeCorrected' }> => e.type === 'order.feeCorrected');
    // The fills' fees (estimates, 0.001 of the cost) and the corrections add up to the exchange's 0.00075 × 20 XRP at 0.5.
    const reported = fills.reduce((a, f) => a + f.fill.fee, 0) + corrections.reduce((a, c) => a + c.delta, 0);
    expect(reported).toBeCloseTo(0.0075, 9);
    expect(corrections.length).toBeGreaterThanOrEqual(1);
    expect(corrections.length).toBeLessThanOrEqual(2);
  });

  it('an order of more trades than one read of its trades holds (1,000): the fee is corrected from every page', async () => {
    const { s, ex, events } = await setup({ feeRate: 0.00075, balances: { USDT: 1_000 } }, { privateStream: false });
    await ex.start();
    const placed = await ex.createLimitOrder({ clientId: 'fee-pages', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 1_200 });
    // 1,199 trades of 1 XRP and the rest: the latest 1,000 add up to 1,000 XRP of the 1,200 executed.
    for (let i = 0; i < 1_199; i++) s.fillOrder(placed!.id, 1);
    s.fillOrder(placed!.id);
    await waitFor(() => ex.getOrder({ id: placed!.id })?.status === 'filled', 'the whole fill', 10_000);
    // Binance took 0.075 % of the 1,200 XRP bought, worth 0.45 USDT at 0.5; the estimate was 0.1 % of the cost (0.6).
    await waitFor(() => Math.abs((ex.getOrder({ id: placed!.id })?.fee ?? 0) - 0.45) < 1e-9, 'the fee of every trade', 15_000);
    const fills = events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');
    const corrections = events.filter((e): e is Extract<OrderEvent, { type: 'order.feeCorrected' }> => e.type === 'order.feeCorrected');
    expect(fills.reduce((a, f) => a + f.fill.amount, 0)).toBeCloseTo(1_200, 9);
    expect(fills.reduce((a, f) => a + f.fill.fee, 0) + corrections.reduce((a, c) => a + c.delta, 0)).toBeCloseTo(0.45, 9);
  });

  it('an account paying fees in BNB: each fill is reported at the estimate, then corrected to the BNB paid at BNB’s price in quote', async () => {
    const markets = [...DEFAULT_BINANCE_MARKETS, { symbol: 'BNBUSDT', baseAsset: 'BNB', quoteAsset: 'USDT', tickSize: '0.01000000', stepSize: '0.00100000', minNotional: '5.00000000', price: 600 }];
    const { s, ex, events } = await setup({ markets, feeRate: 0.001, payFeesIn: 'BNB', balances: { USDT: 1_000, BNB: 1 } }, { pollIntervalMs: 60_000, reconcileIntervalMs: 60_000 });
    await ex.start();
    await waitFor(() => s.privateConnections > 0, 'the private stream', 5_000);
    const buy = await ex.createLimitOrder({ clientId: 'bnb-1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    s.fillOrder(buy!.id);
    await waitFor(() => ex.getOrder({ id: buy!.id })?.status === 'filled', 'the buy filled', 5_000);
    // Binance took 0.075 % of 10 USDT in BNB: 0.0000125 BNB, worth 0.0075 USDT at 600; the coins bought are whole.
    expect(s.balance('BNB').free).toBeCloseTo(1 - 0.0000125, 12);
    expect(s.balance('XRP').free).toBe(20);
    await waitFor(() => Math.abs((ex.getOrder({ id: buy!.id })?.fee ?? 0) - 0.0075) < 1e-12, 'the buy’s fee in quote', 5_000);
    const sell = await ex.createLimitOrder({ clientId: 'bnb-2', market: 'XRP/USDT', side: 'sell', price: 0.6, amount: 20 });
    s.fillOrder(sell!.id);
    await waitFor(() => Math.abs((ex.getOrder({ id: sell!.id })?.fee ?? 0) - 0.009) < 1e-12, 'the sell’s fee in quote', 5_000);
    await new Promise((r) => setTimeout(r, 500)); // any later report or check had its chance
    const fills = events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');
    const corrections = events.filter((e): e is Extract<OrderEvent, { type: 'order.feeCorrected' }> => e.type === 'order.feeCorrected');
    // Reported at ccxt's taker estimate (0.1 % of the cost: never 0), each corrected once to what BNB paid.
    expect(fills.map((f) => [f.fill.side, f.fill.amount, f.fill.fee])).toEqual([
      ['buy', 20, expect.closeTo(0.01, 12)],
      ['sell', 20, expect.closeTo(0.012, 12)],
    ]);
    expect(corrections.map((c) => [c.order.id, c.delta])).toEqual([
      [buy!.id, expect.closeTo(-0.0025, 12)],
      [sell!.id, expect.closeTo(-0.003, 12)],
    ]);
    expect(s.balance('USDT').free).toBeCloseTo(1_000 - 10 + 12, 9);
    // A buy marketable on arrival: Binance's answer to the order carries its trades' commission, in BNB.
    const bnbBefore = s.balance('BNB').free;
    const taker = await ex.createLimitOrder({ clientId: 'bnb-3', market: 'XRP/USDT', side: 'buy', price: 0.51, amount: 20 });
    expect(taker?.status).toBe('filled');
    const paidInQuote = (bnbBefore - s.balance('BNB').free) * 600;
    expect(paidInQuote).toBeGreaterThan(0);
    await waitFor(() => Math.abs((ex.getOrder({ id: taker!.id })?.fee ?? 0) - paidInQuote) < 1e-9, 'the taker buy’s fee in quote', 5_000);
  });

  it('a trade report delivered twice on the private stream: its amount and its fee are counted once', async () => {
    const { s, ex, events, placed } = await streamedBuy('dup-1', 0.001);
    s.repeatFrames('executionReport', 1);
    s.fillOrder(placed.id, 5);
    await waitFor(() => events.some((e) => e.type === 'order.fill'), 'the first fill from the stream', 5_000);
    await new Promise((r) => setTimeout(r, 100)); // its repeat is in too
    s.fillOrder(placed.id, 5);
    await waitFor(() => events.filter((e) => e.type === 'order.fill').length >= 2, 'the second fill from the stream', 5_000);
    await new Promise((r) => setTimeout(r, 100)); // nothing more comes
    const fills = events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');
    expect(fills.map((f) => f.fill.amount)).toEqual([5, 5]);
    // 0.001 × 10 XRP charged in XRP, worth 0.005 USDT at 0.5. Without the fix the repeated report's fee was
    // counted again in the second fill: 0.0075.
    expect(fills.reduce((a, f) => a + f.fill.fee, 0)).toBeCloseTo(0.005, 12);
    expect(ex.getOrder({ id: placed.id })?.fee).toBeCloseTo(0.005, 12);
    // The same with the reports back to back: ccxt.pro may hand both trades over as one order update, and
    // the fee is then its sum, less the repeated report's.
    const second = await ex.createLimitOrder({ clientId: 'dup-2', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    await waitFor(() => events.some((e) => e.type === 'order.accepted' && e.order.id === second!.id), 'the second order', 5_000);
    s.repeatFrames('executionReport', 1);
    s.fillOrder(second!.id, 5);
    s.fillOrder(second!.id, 5);
    await waitFor(() => ex.getOrder({ id: second!.id })?.filled === 10, 'both trades of the second order', 5_000);
    await new Promise((r) => setTimeout(r, 100)); // nothing more comes
    const more = events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill' && e.order.id === second!.id);
    expect(more.reduce((a, f) => a + f.fill.amount, 0)).toBeCloseTo(10, 12);
    expect(more.reduce((a, f) => a + f.fill.fee, 0)).toBeCloseTo(0.005, 12);
  });

  it('after a restart, the first trade the stream reports carries its own fee (ccxt.pro sums only the reports it saw)', async () => {
    const { s, ex } = await setup({ feeRate: 0.001 });
    const placed = await ex.createLimitOrder({ clientId: 'fee-r-b1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    s.fillOrder(placed!.id, 5);
    // The restored position knew that first fill: 5 XRP for 2.5 USDT, 0.005 XRP of fee worth 0.0025 USDT.
    const { restarted, events } = await restartWith(s, ex, { id: placed!.id, clientId: 'fee-r-b1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20, status: 'open', filled: 5, cost: 2.5, fee: 0.0025, ts: 0 });
    await waitFor(() => s.privateConnections > 0, 'the private stream', 5_000);
    await new Promise((r) => setTimeout(r, 200)); // subscribed
    s.fillOrder(placed!.id, 5);
    await waitFor(() => events.some((e) => e.type === 'order.fill'), 'the fill from the stream', 5_000);
    s.fillOrder(placed!.id, 5);
    await waitFor(() => events.filter((e) => e.type === 'order.fill').length >= 2, 'the next fill from the stream', 5_000);
    const fills = events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');
    expect(fills.map((f) => f.fill.amount)).toEqual([5, 5]);
    // Each 5 XRP pays 0.005 XRP, 0.0025 USDT. Without the fix the first fill after the restart had none:
    // ccxt's fee of the order was that one report's, less the 0.0025 the position already knew.
    expect(fills.map((f) => f.fill.fee)).toEqual([expect.closeTo(0.0025, 12), expect.closeTo(0.0025, 12)]);
    expect(restarted.getOrder({ id: placed!.id })?.fee).toBeCloseTo(0.0075, 12);
  });

  it('a ban (418) answered to the trades’ read is waited out: the fee is still corrected once it ends', async () => {
    // Three reads 100 ms apart; the ban (Retry-After 120 s) ends when the limiter's clock is moved past it.
    let skew = 0;
    const { s, ex, events } = await setup({ feeRate: 0.00075 }, { privateStream: false, feeCheckDelaysMs: [100, 100, 100], limiter: new RestRateLimiter({ now: () => Date.now() + skew }) });
    await ex.start();
    const placed = await ex.createLimitOrder({ clientId: 'fee-ban', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    s.failNext(418, 1, '/api/v3/myTrades');
    s.fillOrder(placed!.id);
    await waitFor(() => events.some((e) => e.type === 'order.fill'), 'the fill found by a poll', 5_000);
    await waitFor(() => ex.limiter.bannedUntil > 0, 'the ban', 5_000);
    await new Promise((r) => setTimeout(r, 500)); // every read left would have been refused by now
    skew = 200_000;
    // Before: the check spent its attempts on the ban and gave up; the estimate (0.01) stayed.
    await waitFor(() => events.some((e) => e.type === 'order.feeCorrected'), 'the fee correction after the ban', 5_000);
    expect(ex.getOrder({ id: placed!.id })?.fee).toBeCloseTo(0.0075, 9);
    expect(events.filter((e) => e.type === 'order.feeCorrected')).toHaveLength(1);
  });

  it('after a restart, a restored order whose fill was recorded at the estimate before the crash gets the exchange’s fee once', async () => {
    const { s, ex } = await setup({ feeRate: 0.00075 });
    const placed = await ex.createLimitOrder({ clientId: 'fee-c-b1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    s.fillOrder(placed!.id, 8);
    // The crashed process had found the 8 XRP over REST (0.001 × 4 USDT estimated) and died before reading its trades.
    const { restarted, events } = await restartWith(s, ex, { id: placed!.id, clientId: 'fee-c-b1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20, status: 'open', filled: 8, cost: 4, fee: 0.004, ts: 0 });
    await waitFor(() => events.some((e) => e.type === 'order.feeCorrected'), 'the fee correction', 5_000);
    await new Promise((r) => setTimeout(r, 500));
    // 0.00075 × 8 XRP worth 0.003 USDT: the estimate less 0.001, once, no fill reported again.
    expect(events.map((e) => [e.type, e.type === 'order.feeCorrected' ? Number(e.delta.toFixed(12)) : undefined])).toEqual([['order.feeCorrected', -0.001]]);
    expect(restarted.getOrder({ id: placed!.id })).toMatchObject({ filled: 8, fee: expect.closeTo(0.003, 12) });
  });

  it('an order whose acknowledgement is lost is found by client id: one order on the exchange, no resend', async () => {
    const { s, ex } = await setup();
    s.loseNextAcks(1);
    const order = await ex.createLimitOrder({ clientId: 'lost-1', market: 'BTC/USDT', side: 'buy', price: 58_000, amount: 0.001 });
    expect(order).toMatchObject({ clientId: 'lost-1', status: 'open' });
    expect(s.requestsTo('/api/v3/order', 'POST')).toHaveLength(1);
    expect(ex.stats().ackRecoveries).toBe(1);
  });

  it('a lost acknowledgement while look-ups fail: no resend, so an order filled meanwhile is not placed a second time', async () => {
    // Binance refuses a repeated client id only while the first order is open: once it has filled, a resend is a new order.
    const { s, ex, events } = await setup();
    (ex.ccxt.options as Record<string, unknown>)['recvWindow'] = 1_000; // the resend would wait 2 s, not 11
    s.failNext(503, 8, '/api/v3/order', 'GET');
    s.loseNextAcks(1);
    const placing = ex.createLimitOrder({ clientId: 'resend-1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    await waitFor(() => s.allOrders().some((o) => o.clientOrderId === 'resend-1'), 'the order made, its answer lost', 5_000);
    s.fillOrder(s.allOrders().find((o) => o.clientOrderId === 'resend-1')!.orderId);
    await placing;
    // Without the fix: two orders (the resend after the unanswered look-ups made a second one: 40 XRP bought).
    expect(s.allOrders().filter((o) => o.clientOrderId === 'resend-1')).toHaveLength(1);
    expect(s.requestsTo('/api/v3/order', 'POST')).toHaveLength(1);
    // Found in the background once the look-ups answer again.
    await waitFor(() => events.some((e) => e.type === 'order.fill' && e.order.clientId === 'resend-1'), 'the fill found by the look-ups', 10_000);
  });

  it('retries 429 and 5xx answers with backoff; a 418 ban stops every request until it is over', async () => {
    const { s, ex } = await setup();
    s.failNext(429, 1, '/api/v3/account');
    s.failNext(503, 1, '/api/v3/account');
    expect((await ex.balances()).find((b) => b.currency === 'USDT')?.free).toBe(10_000);
    expect(ex.stats().retries).toBe(2);
    s.failNext(418, 1, '/api/v3/account');
    await expect(ex.balances()).rejects.toBeInstanceOf(ExchangeBannedError);
    const before = s.requests.length;
    await expect(ex.balances()).rejects.toBeInstanceOf(ExchangeBannedError);
    expect(s.requests.length).toBe(before);
  });

  it('follows orders on the private stream (Binance’s executionReport) and survives a dropped socket', async () => {
    const { s, ex, events } = await setup({}, { pollIntervalMs: 60_000, reconcileIntervalMs: 60_000 });
    await ex.start();
    await waitFor(() => s.privateConnections > 0, 'the private stream', 5_000);
    const placed = await ex.createLimitOrder({ clientId: 'ws-1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    s.dropConnections();
    await waitFor(() => s.privateConnections > 1, 'the private stream to reconnect', 10_000);
    await new Promise((r) => setTimeout(r, 500)); // the one quick poll after the drop has run
    const polls = ex.stats().polls;
    s.fillOrder(placed!.id, 5);
    await waitFor(() => events.some((e) => e.type === 'order.fill'), 'the partial fill from the stream', 10_000);
    expect(ex.stats().polls).toBe(polls);
    expect(ex.stats().streamConnected).toBe(true);
    const fill = events.find((e) => e.type === 'order.fill');
    expect(fill?.type === 'order.fill' && fill.fill.amount).toBe(5);
  });

  it('fills of several orders reported in one socket chunk all arrive from the stream, none left for the next report or poll', async () => {
    const { s, ex, events } = await setup({ balances: { USDT: 10_000 } }, { pollIntervalMs: 60_000, reconcileIntervalMs: 60_000 });
    await ex.start();
    await waitFor(() => s.privateConnections > 0, 'the private stream', 5_000);
    const placed: Order[] = [];
    for (let i = 0; i < 4; i++) placed.push((await ex.createLimitOrder({ clientId: `chunk-${i}`, market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 + i })) as Order);
    await waitFor(() => ex.stats().streamConnected, 'the NEW reports', 5_000);
    await new Promise((r) => setTimeout(r, 300));
    const polls = ex.stats().polls;
    // four executionReports written in one turn: ccxt wakes its one watchOrders call for the first of them
    for (const o of placed) s.fillOrder(o.id);
    await waitFor(() => placed.every((o) => events.some((e) => e.type === 'order.fill' && e.order.id === o.id && e.order.status === 'filled')), 'every fill from the stream', 5_000);
    expect(ex.stats().polls).toBe(polls);
    for (const [i, o] of placed.entries()) {
      expect(events.filter((e) => e.type === 'order.fill' && e.order.id === o.id).reduce((a, e) => a + (e.type === 'order.fill' ? e.fill.amount : 0), 0)).toBeCloseTo(20 + i, 9);
    }
  });

  it('a cancel that loses the race to a fill: the fill is applied once and the cancel reported as unknown', async () => {
    const { s, ex, events } = await setup();
    const placed = await ex.createLimitOrder({ clientId: 'race-1', market: 'BTC/USDT', side: 'sell', price: 61_000, amount: 0.0001 }).catch(() => undefined);
    // no BTC: rejected; buy first
    expect(placed).toBeUndefined();
    const buy = await ex.createLimitOrder({ clientId: 'race-2', market: 'BTC/USDT', side: 'buy', price: 59_000, amount: 0.001 });
    s.fillOrder(buy!.id);
    await ex.cancelOrder(buy!.id);
    await waitFor(() => events.some((e) => e.type === 'order.rejected' && e.clientId === 'race-2'), 'the cancel refusal');
    expect(events.filter((e) => e.type === 'order.fill' && e.order.clientId === 'race-2')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'order.cancelled')).toHaveLength(0);
  });
});

describe('LiveAccount on Binance', () => {
  it('keeps the rules of a market in BREAK at the start, marked halted: its sell is tried, refused while halted, and placed once it trades', async () => {
    // Left out of the rules (ccxt marks it inactive), a position restored in it could not be exited all run.
    const markets = DEFAULT_BINANCE_MARKETS.map((m) => (m.symbol === 'XRPUSDT' ? { ...m, status: 'BREAK' as const } : m));
    const { s, ex, events } = await setup({ markets, balances: { USDT: 100, XRP: 40 } });
    const rules = new Map((await ex.markets()).map((r) => [r.market, r]));
    expect(rules.get('XRP/USDT')).toMatchObject({ market: 'XRP/USDT', amountStep: 0.1, minTotal: 5, halted: 'BREAK' });
    expect(rules.get('BTC/USDT')?.halted).toBeUndefined();
    const account = await LiveAccount.open(ex, { quote: 'USDT', refreshMs: 60_000, rules: (m) => rules.get(m), markets: [...rules.values()] });
    adapters.push(account);
    expect(account.rules('XRP/USDT')?.tickSize(0.5)).toBe(0.0001);
    expect(await account.createLimitOrder({ clientId: 'halt-s1', market: 'XRP/USDT', side: 'sell', price: 0.55, amount: 20 })).toBeUndefined();
    const refused = events.find((e) => e.type === 'order.rejected' && e.clientId === 'halt-s1');
    expect(refused?.type === 'order.rejected' && refused.message).toContain('Market is closed');
    expect(s.balance('XRP')).toEqual({ free: 40, locked: 0 });
    s.listMarket({ ...markets[2]!, status: 'TRADING' });
    expect(await account.createLimitOrder({ clientId: 'halt-s2', market: 'XRP/USDT', side: 'sell', price: 0.55, amount: 20 })).toMatchObject({ clientId: 'halt-s2', status: 'open', amount: 20 });
  });

  it('a stop done waiting for the answers sends no resend after it: a sell whose submission answered 503 is left to the next start, not placed while nothing listens', async () => {
    // The fault matrix's "5xx on submit": the resend went out 10-20 s after the Ctrl-C (Binance's resend window
    // is 11 s), after the stop had closed the store; the sell filled on the exchange, its fill recorded nowhere.
    const { s, ex } = await setup({ balances: { USDT: 100, XRP: 40 } });
    (ex.ccxt.options as Record<string, unknown>)['recvWindow'] = 1_000; // the resend would wait 2 s, not 11
    const rules = new Map((await ex.markets()).map((r) => [r.market, r]));
    const account = await LiveAccount.open(ex, { quote: 'USDT', refreshMs: 60_000, rules: (m) => rules.get(m) });
    adapters.push(account);
    s.failNext(503, 1, '/api/v3/order', 'POST');
    const placing = account.createLimitOrder({ clientId: 'stop-s1', market: 'XRP/USDT', side: 'sell', price: 0.55, amount: 20 });
    await waitFor(() => s.requestsTo('/api/v3/order', 'POST').length === 1, 'the submission answered 503');
    expect(await account.drained(300)).toBe(1);
    // Unknown (its first attempt may have arrived): no event, the position keeps waiting; the next start looks it up.
    expect(await placing).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // Without the fix: the resend 2 s after the 503, a second POST and the sell resting on the exchange.
    expect(s.requestsTo('/api/v3/order', 'POST')).toHaveLength(1);
    expect(s.allOrders().filter((o) => o.clientOrderId === 'stop-s1')).toEqual([]);
  });

  it('caps a sell at the coins held when the buy’s fee was taken in the coin', async () => {
    const { s, ex } = await setup({ feeRate: 0.001 });
    const rules = new Map((await ex.markets()).map((r) => [r.market, r]));
    const account = await LiveAccount.open(ex, { quote: 'USDT', refreshMs: 60_000, rules: (m) => rules.get(m) });
    adapters.push(account);
    const buy = await account.createLimitOrder({ clientId: 'cap-b1', market: 'ETH/USDT', side: 'buy', price: 2_500, amount: 0.01 });
    s.fillOrder(buy!.id);
    await account.refresh();
    await waitFor(() => account.getBalance('ETH').free > 0, 'the coins bought');
    expect(account.getBalance('ETH').free).toBeCloseTo(0.00999, 12);
    const sell = await account.createLimitOrder({ clientId: 'cap-s1', market: 'ETH/USDT', side: 'sell', price: 2_600, amount: 0.01 });
    // 0.00999 rounded down to the 0.0001 step
    expect(sell).toMatchObject({ clientId: 'cap-s1', amount: 0.0099 });
    const placed = s.requestsTo('/api/v3/order', 'POST').map((r) => r.body?.['quantity']);
    expect(placed).toEqual(['0.01', '0.0099']);
  });

  it('a buy whose fee was taken in the coin: the fill credits the coins net of it, so a sell sized before the next read is not refused', async () => {
    const { s, ex } = await setup({ feeRate: 0.001 });
    const rules = new Map((await ex.markets()).map((r) => [r.market, r]));
    const account = await LiveAccount.open(ex, { quote: 'USDT', refreshMs: 60_000, rules: (m) => rules.get(m) });
    adapters.push(account);
    await waitFor(() => s.privateConnections > 0 || s.wsApiRequests.length > 0, 'the private stream');
    // The balance push comes late (the fill frame first): until then, and until the re-read 500 ms after the fill, the view is the fill's.
    s.delayFrames(['outboundAccountPosition'], 3_000);
    // Past the opening read's arrival plus its clock tolerance (1 s): the fill is not taken to be in that read.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const buy = await account.createLimitOrder({ clientId: 'net-b1', market: 'ETH/USDT', side: 'buy', price: 2_500, amount: 0.01 });
    s.fillOrder(buy!.id);
    await waitFor(() => account.getBalance('ETH').free > 0, 'the fill on the private stream');
    // Credited gross, 0.01 ETH, the sell below went uncapped and Binance refused it (insufficient balance).
    expect(account.getBalance('ETH').free).toBeCloseTo(0.00999, 12);
    const sell = await account.createLimitOrder({ clientId: 'net-s1', market: 'ETH/USDT', side: 'sell', price: 2_600, amount: 0.01 });
    expect(sell).toMatchObject({ clientId: 'net-s1', amount: 0.0099 });
    expect(s.requestsTo('/api/v3/order', 'POST').map((r) => r.body?.['quantity'])).toEqual(['0.01', '0.0099']);
  });

  it('a buy fill found over REST (no private stream): a sell sized before the re-read asks the balances first and is not refused', async () => {
    // Found by a poll, the fill carries no trade time and no fee: the view takes the last read to hold it, so for
    // up to 500 ms (the re-read it asks for) the coin showed 0 free and the sell went uncapped at the gross amount.
    const { s, ex } = await setup({ feeRate: 0.001 }, { privateStream: false });
    const rules = new Map((await ex.markets()).map((r) => [r.market, r]));
    const account = await LiveAccount.open(ex, { quote: 'USDT', refreshMs: 60_000, rules: (m) => rules.get(m) });
    adapters.push(account);
    s.delayFrames(['outboundAccountPosition'], 5_000);
    const buy = await account.createLimitOrder({ clientId: 'rest-b1', market: 'ETH/USDT', side: 'buy', price: 2_500, amount: 0.01 });
    s.fillOrder(buy!.id);
    await waitFor(() => ex.getOrder({ id: buy!.id })?.status === 'filled', 'the fill found by a poll');
    const sell = await account.createLimitOrder({ clientId: 'rest-s1', market: 'ETH/USDT', side: 'sell', price: 2_600, amount: 0.01 });
    expect(sell).toMatchObject({ clientId: 'rest-s1', amount: 0.0099 });
    expect(s.requestsTo('/api/v3/order', 'POST').map((r) => r.body?.['quantity'])).toEqual(['0.01', '0.0099']);
  });

  it('after a restart from a stale snapshot, the stream, REST polls, look-ups and a dropped socket bring each executed amount once', async () => {
    // The cash view moves on every fill event it gets: this is what lets it do without a replay guard of its own.
    const { s, ex } = await setup({ balances: { USDT: 10_000 } });
    const first = await ex.createLimitOrder({ clientId: 'once-b1', market: 'ETH/USDT', side: 'buy', price: 2_500, amount: 0.01 });
    s.fillOrder(first!.id, 0.003);
    await ex.close();
    adapters.splice(0);
    s.fillOrder(first!.id, 0.002); // while down; the snapshot the bot restores predates both fills
    const restarted = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, timeoutMs: 3_000, retryDelayMs: 20, pollIntervalMs: 50, reconcileIntervalMs: 80, random: () => 0.5 });
    const raw: OrderEvent[] = [];
    restarted.orderEvents$.subscribe((e) => raw.push(e));
    const slot = { side: 'buy' as const, clientId: 'once-b1', price: 2_500, amount: 0.01, filled: 0, cost: 0, fee: 0, submittedTs: 0, acked: true, id: first!.id };
    const account = await LiveAccount.open(restarted, { quote: 'USDT', refreshMs: 60_000, restored: [{ market: 'ETH/USDT', slot }] });
    adapters.push(account);
    await waitFor(() => s.privateConnections > 0, 'the private stream', 5_000);
    // The REST polls read the open orders (ccxt spaces those out: Binance weighs them 40); look-ups by client id and by id beside them.
    const lookups = (): Promise<unknown> => Promise.all([account.reconcile([{ market: 'ETH/USDT', slot }]), restarted.fetchOrder({ id: first!.id })]);
    await lookups();
    s.fillOrder(first!.id, 0.001);
    await lookups();
    s.dropConnections();
    s.fillOrder(first!.id, 0.002);
    await lookups();
    s.fillOrder(first!.id);
    await waitFor(() => restarted.getOrder({ id: first!.id })?.status === 'filled', 'the last fill', 10_000);
    await lookups();
    await new Promise((r) => setTimeout(r, 300)); // a few more REST rounds
    const fills = raw.flatMap((e) => (e.type === 'order.fill' ? [e] : []));
    // Each fill event brings the order further than any before it (what the account's cash view counts on)…
    for (let i = 1; i < fills.length; i++) expect(fills[i]!.order.filled).toBeGreaterThan(fills[i - 1]!.order.filled);
    // …and together they are what the exchange executed: 0.005 before the restart, 0.005 after.
    expect(fills.reduce((a, e) => a + e.fill.amount, 0)).toBeCloseTo(0.01, 12);
    expect(fills[0]!.fill.amount).toBeCloseTo(0.005, 12);
    expect(s.order({ orderId: first!.id })?.['executedQty']).toBe('0.01000000');
  });

  it('a restored order in a market the exchange no longer lists does not hold the restart up: the other orders are reconciled and trading starts', async () => {
    const { s, ex } = await setup();
    const gone = await ex.createLimitOrder({ clientId: 'dl-b1', market: 'XRP/USDT', side: 'buy', price: 0.5, amount: 20 });
    const other = await ex.createLimitOrder({ clientId: 'dl-b2', market: 'BTC/USDT', side: 'buy', price: 59_000, amount: 0.001 });
    await ex.close();
    adapters.splice(0);
    s.cancelOrder(gone!.id);
    s.delistMarket('XRPUSDT');
    const restarted = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, timeoutMs: 3_000, retryDelayMs: 20, privateStream: false });
    await restarted.markets();
    const slot = (clientId: string, id: string, price: number, amount: number) => ({ side: 'buy' as const, clientId, price, amount, filled: 0, cost: 0, fee: 0, submittedTs: 0, acked: true, id });
    const restored = [{ market: 'XRP/USDT', slot: slot('dl-b1', gone!.id, 0.5, 20) }, { market: 'BTC/USDT', slot: slot('dl-b2', other!.id, 59_000, 0.001) }];
    const account = await LiveAccount.open(restarted, { quote: 'USDT', refreshMs: 60_000, restored });
    adapters.push(account);
    const retries: string[] = [];
    // Before, the look-up of dl-b1 failed (XRP/USDT unknown to ccxt) and was retried forever: the start-up never ended, nothing traded.
    const results = await Promise.race([account.reconcile(restored, (l) => retries.push(l)), new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 5_000))]);
    expect(results).not.toBe('stuck');
    expect((results as { line: string }[]).map((r) => r.line)).toEqual([expect.stringMatching(/^dl-b1: market XRP\/USDT is not listed by binance: not looked up now; its position looks it up at its own deadlines/), 'dl-b2: still resting']);
  });

  it('a stop records the fee of a fill found over REST: the order’s trades are read before the drain ends, not left to the next start', async () => {
    // The first trades read a minute away: without the stop's hurry, the fill keeps its estimate through the stop.
    const { s, ex } = await setup({}, { privateStream: false, pollIntervalMs: 100, feeCheckDelaysMs: [60_000, 60_000] });
    const account = await LiveAccount.open(ex, { quote: 'USDT', refreshMs: 60_000 });
    adapters.push(account);
    const events: OrderEvent[] = [];
    account.orderEvents$.subscribe((e) => events.push(e));
    const placed = await ex.createLimitOrder({ clientId: 'sf-b1', market: 'BTC/USDT', side: 'buy', price: 59_000, amount: 0.002 });
    s.fillOrder(placed!.id, 0.002);
    await waitFor(() => events.some((e) => e.type === 'order.fill'), 'the fill found by a poll', 5_000);
    expect(events.some((e) => e.type === 'order.feeCorrected')).toBe(false);
    const started = Date.now();
    expect(await account.drained(5_000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(4_000);
    // Binance took the buy's fee in BTC (0.1 % of 0.002): the position counts those coins out.
    const correction = events.find((e) => e.type === 'order.feeCorrected');
    expect(correction).toMatchObject({ type: 'order.feeCorrected', order: { filled: 0.002, baseFee: 0.000002 } });
    expect(correction?.type === 'order.feeCorrected' ? correction.baseFeeDelta : undefined).toBeCloseTo(0.000002, 12);
    expect(events.filter((e) => e.type === 'order.fill')).toHaveLength(1);
  });

  it('reconciles restored orders by client id and market after a restart', async () => {
    const { s, ex } = await setup();
    const first = await ex.createLimitOrder({ clientId: 'rs-b1', market: 'BTC/USDT', side: 'buy', price: 59_000, amount: 0.002 });
    await ex.close();
    adapters.splice(0);
    s.fillOrder(first!.id, 0.001);
    const restarted = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, timeoutMs: 3_000, retryDelayMs: 20, privateStream: false });
    const slot = { side: 'buy' as const, clientId: 'rs-b1', price: 59_000, amount: 0.002, filled: 0, cost: 0, fee: 0, submittedTs: 0, acked: true, id: first!.id };
    const account = await LiveAccount.open(restarted, { quote: 'USDT', refreshMs: 60_000, restored: [{ market: 'BTC/USDT', slot }] });
    adapters.push(account);
    const events: OrderEvent[] = [];
    account.orderEvents$.subscribe((e) => events.push(e));
    const results = await account.reconcile([{ market: 'BTC/USDT', slot }]);
    expect(results.map((r) => r.line)).toEqual(['rs-b1: filled 0.001 more at 59000 while down (0.001 of 0.002 executed)', 'rs-b1: still resting']);
    // The fill made while down arrives once, found by reading the open orders at start; the look-up adds nothing.
    expect(events.filter((e) => e.type !== 'order.feeCorrected').map((e) => e.type)).toEqual(['order.fill']);
    expect(events[0]).toMatchObject({ type: 'order.fill', fill: { amount: 0.001, price: 59_000 } });
    expect(account.openOrdersAtStart.map((o) => o.clientId)).toEqual(['rs-b1']);
    // An order query carries no commission: the trades, read after, show Binance took the fee in BTC. The fee
    // in quote was estimated right (0.1 %), but the coins it took are news: the position counts them out.
    await waitFor(() => events.some((e) => e.type === 'order.feeCorrected'), 'the trades read', 5_000);
    const correction = events.find((e) => e.type === 'order.feeCorrected');
    expect(correction).toMatchObject({ type: 'order.feeCorrected', order: { filled: 0.001, baseFee: 0.000001 } });
    expect(correction?.type === 'order.feeCorrected' ? correction.baseFeeDelta : undefined).toBeCloseTo(0.000001, 12);
    expect(events.filter((e) => e.type === 'order.fill')).toHaveLength(1);
  });
});
