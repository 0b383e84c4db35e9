import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LookupReply, OrderEvent } from '../../../src/core/index.js';
import { CcxtExchange } from '../../../src/exchange/ccxt/ccxt-exchange.js';
import { LiveAccount, type RestoredOrder } from '../../../src/exchange/ccxt/live-account.js';
import { UpbitServer } from '../../helpers/upbit-server.js';
import { waitFor } from '../../helpers/wait-for.js';

let server: UpbitServer;
const accounts: LiveAccount[] = [];
beforeAll(async () => {
  server = await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-XRP', price: 3000 }] });
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  for (const a of accounts.splice(0)) await a.close();
});

async function open(options: { restored?: readonly RestoredOrder[] } = {}, retryDelayMs = 20): Promise<{ account: LiveAccount; events: OrderEvent[] }> {
  const exchange = new CcxtExchange({ restUrl: server.restUrl, wsUrl: server.wsUrl, apiKey: server.accessKey, secret: server.secretKey, pollIntervalMs: 100, retryDelayMs, random: () => 0.5 });
  // REST re-reads every hour: what changes the balances here is the myAsset stream.
  const account = await LiveAccount.open(exchange, { quote: 'KRW', refreshMs: 3_600_000, ...options });
  accounts.push(account);
  const events: OrderEvent[] = [];
  account.orderEvents$.subscribe((e) => events.push(e));
  return { account, events };
}

describe('LiveAccount against the local Upbit server', () => {
  it("keeps balances current from Upbit's myAsset stream", async () => {
    const { account } = await open();
    expect(account.getBalance('KRW')).toMatchObject({ free: 1_000_000, locked: 0 });
    await waitFor(() => server.privateSubscriptions.some((m) => JSON.stringify(m).includes('myAsset')), 'the myAsset subscription', 10_000);
    const order = await account.createLimitOrder({ clientId: 'acct-1-b1', market: 'XRP/KRW', side: 'buy', price: 3000, amount: 10 });
    expect(order?.status).toBe('open');
    server.fillOrder(order?.id as string);
    await waitFor(() => account.balanceStreamUpdates >= 2 && account.getBalance('XRP').free === 10, 'XRP from the stream', 10_000);
    expect(account.getBalance('KRW').free).toBeCloseTo(1_000_000 - 30_000 * 1.0005, 6);
  });

  it('a look-up while the order is still being placed (a 429, the resend waiting its backoff) waits for the placement: never "no such order" for an order that then rests', async () => {
    // A position whose acknowledgement is overdue asks (unknownBuy); told "no such order", it settles and
    // the order the adapter places a moment later rests on the exchange with nobody managing it.
    const { account, events } = await open({}, 1_500);
    server.failNext(429, 1, '/v1/orders', 'POST');
    const placing = account.createLimitOrder({ clientId: 'acct-12-b1', market: 'XRP/KRW', side: 'buy', price: 3000, amount: 10 });
    await waitFor(() => server.requestsTo('/v1/orders', 'POST').some((r) => r.status === 429), 'the 429', 5_000);
    const answered = new Promise<Parameters<LookupReply>[0]>((resolve) => account.lookupOrder({ clientId: 'acct-12-b1', market: 'XRP/KRW' }, resolve));
    const order = await placing;
    expect(order?.status).toBe('open');
    const reply = await answered;
    // Without the fix: { order: undefined }, answered while the resend waited.
    expect('order' in reply ? reply.order?.id : reply.error).toBe(order?.id);
    expect(events.filter((e) => e.type === 'order.accepted').map((e) => e.type === 'order.accepted' && e.order.clientId)).toEqual(['acct-12-b1']);
    await account.cancelOrder(order?.id as string);
  });

  it('reconciles restored orders: fills made while down arrive once (resting and completed orders), unknown orders are reported and left to their positions', async () => {
    const { account: first } = await open();
    const subscribed = server.privateSubscriptions.length;
    // Closing while ccxt still sends a subscription makes ccxt reject a promise nobody holds: let it finish.
    await waitFor(() => server.privateSubscriptions.slice(subscribed).some((m) => JSON.stringify(m).includes('myAsset')), 'the myAsset subscription', 10_000);
    const resting = await first.createLimitOrder({ clientId: 'acct-2-b1', market: 'XRP/KRW', side: 'buy', price: 2990, amount: 20 });
    const done = await first.createLimitOrder({ clientId: 'acct-4-b1', market: 'XRP/KRW', side: 'buy', price: 2980, amount: 10 });
    server.fillOrder(resting?.id as string, 5);
    await first.close();
    accounts.length = 0;
    server.fillOrder(resting?.id as string, 10); // 15 of 20 filled while "down"
    server.fillOrder(done?.id as string); // filled completely while "down": no longer among the open orders
    const slot = { side: 'buy' as const, id: resting?.id as string, clientId: 'acct-2-b1', price: 2990, amount: 20, filled: 5, cost: 5 * 2990, fee: 5 * 2990 * 0.0005, submittedTs: 0, acked: true };
    const doneSlot = { side: 'buy' as const, id: done?.id as string, clientId: 'acct-4-b1', price: 2980, amount: 10, filled: 0, cost: 0, fee: 0, submittedTs: 0, acked: true };
    const ghost = { ...slot, id: undefined, clientId: 'acct-3-b1', filled: 0, cost: 0, fee: 0, acked: false };
    const restored = [{ market: 'XRP/KRW', slot }, { market: 'XRP/KRW', slot: doneSlot }, { market: 'XRP/KRW', slot: ghost }];
    const { account, events } = await open({ restored });
    const results = await account.reconcile(restored);
    expect(results.map((r) => r.line)).toEqual([
      'acct-2-b1: filled 10 more at 2990 while down (15 of 20 executed)',
      'acct-2-b1: still resting',
      'acct-4-b1: filled 10 more at 2980 while down (10 of 10 executed)',
      'acct-3-b1: not found on the exchange now: its position looks it up again at its acknowledgement deadline',
    ]);
    // Exactly one fill event per order, for what happened while down only (the restart bug recorded each twice).
    const fills = events.flatMap((e) => (e.type === 'order.fill' ? [[e.fill.clientId, e.fill.amount, e.order.filled]] : []));
    expect(fills).toEqual([
      ['acct-2-b1', 10, 15],
      ['acct-4-b1', 10, 10],
    ]);
    expect(events.filter((e) => e.type === 'order.accepted')).toEqual([]);
    // Not rejected on one look-up (it can trail the order book): its position asks again at its own deadline.
    expect(events.filter((e) => e.type === 'order.rejected')).toEqual([]);
  });

  it('drained waits for the answers to the orders in flight (a stop waits for it) and counts what is unanswered at its limit', async () => {
    const { account } = await open();
    server.slowNextAcks(1, 1_500);
    let answered = 0;
    void account.createLimitOrder({ clientId: 'acct-9-b1', market: 'XRP/KRW', side: 'buy', price: 2000, amount: 10 }).then(() => answered++);
    expect(await account.drained(200)).toBe(1);
    expect(answered).toBe(0);
    expect(await account.drained(10_000)).toBe(0);
    expect(answered).toBe(1);
    // The answer is applied before drained resolves: the account knows the order.
    expect(account.getOrder({ clientId: 'acct-9-b1' })?.status).toBe('open');
  });

  it('never adds money when an order is acknowledged after a read that already holds its funds locked', async () => {
    // No order stream: the order is known from the REST answers (its acknowledgement, the open-order polls);
    // the balances are read before that (as the periodic re-read or the myAsset stream may) with its funds
    // already locked. Its second lock found too little free cash and added the rest to the total.
    const exchange = new CcxtExchange({ restUrl: server.restUrl, wsUrl: server.wsUrl, apiKey: server.accessKey, secret: server.secretKey, pollIntervalMs: 100, retryDelayMs: 20, random: () => 0.5, privateStream: false });
    const account = await LiveAccount.open(exchange, { quote: 'KRW', refreshMs: 3_600_000 });
    accounts.push(account);
    const total = (b: { free: number; locked: number }): number => b.free + b.locked;
    const held = (): number => server.balance('KRW').balance + server.balance('KRW').locked;
    // The view's total against the exchange's at each event of the order, as the engine would read it then.
    const excess: number[] = [];
    account.orderEvents$.subscribe((e) => {
      if (e.type !== 'order.rejected' && e.order.clientId === 'acct-10-b1') excess.push(total(account.getBalance('KRW')) - held());
    });
    // Nearly all the free cash in one order.
    const amount = Math.floor((0.9 * server.balance('KRW').balance) / 3000);
    server.slowNextAcks(1, 1_000);
    const placing = account.createLimitOrder({ clientId: 'acct-10-b1', market: 'XRP/KRW', side: 'buy', price: 3000, amount });
    await waitFor(() => server.order({ identifier: 'acct-10-b1' }) !== undefined, 'the order on the exchange', 5_000);
    await account.refresh();
    expect(account.getBalance('KRW').locked).toBeGreaterThanOrEqual(3000 * amount);
    const order = await placing;
    expect(order?.status).toBe('open');
    expect(excess.length).toBeGreaterThan(0);
    for (const x of excess) expect(x).toBeLessThanOrEqual(1e-6);
    expect(total(account.getBalance('KRW'))).toBeCloseTo(held(), 6);
    await account.cancelOrder(order?.id as string);
  });
});
