import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { wallTimerClock, type LookupReply, type Order, type OrderEvent } from '../../src/core/index.js';
import { createKernel } from '../../src/engine/kernel.js';
import { recordToStore } from '../../src/engine/store-recorder.js';
import { MemoryStore } from '../../src/store/index.js';
import { SilentVenue } from '../helpers/silent-venue.js';

class Account extends SilentVenue {
  lookupOrder(_ref: { readonly clientId: string }, reply: LookupReply): void {
    reply({ order: undefined });
  }
}

const order = (id: string, clientId: string, filled: number): Order => ({ id, clientId, market: 'XRP/KRW', side: 'buy', price: 3_000, amount: 10, status: filled >= 10 ? 'filled' : 'open', filled, cost: filled * 3_000, fee: filled * 1.5, ts: 0 });
const fill = (id: string, clientId: string, before: number, after: number): OrderEvent => ({
  type: 'order.fill',
  ts: 1,
  order: order(id, clientId, after),
  fill: { orderId: id, clientId, market: 'XRP/KRW', side: 'buy', price: 3_000, amount: after - before, fee: (after - before) * 1.5, ts: 1 },
});

describe('orders the bot did not place (by hand on the account, no client id)', () => {
  it('reach neither the fill log, the order ledger, the fills channel nor the fees: only the bot’s own order is recorded', async () => {
    const config = parseConfig({ botId: 'bot' });
    const venue = new Account();
    const kernel = createKernel({ config, quote: 'KRW', clock: wallTimerClock, venue });
    const store = new MemoryStore({ botId: 'bot' });
    const published: unknown[] = [];
    await store.subscribe({ botId: 'bot', channels: ['fills'] }, (m) => published.push(m.message));
    recordToStore(kernel.engine, store);
    const events = [
      { type: 'order.accepted', ts: 1, order: order('u-hand-1', '', 0) },
      fill('u-hand-1', '', 0, 10),
      { type: 'order.accepted', ts: 1, order: order('u-hand-2', '', 0) },
      fill('u-hand-2', '', 0, 4),
      fill('u-bot', 'bot-1-b1', 0, 10),
    ] as OrderEvent[];
    for (const e of events) venue.orderEvents$.next(e);
    await store.flush();
    // Before: both hand-placed orders shared the entry '' (executed 10, applied 14: a false difference).
    const orders = await store.loadSnapshots('order');
    expect([...orders.keys()]).toEqual(['bot-1-b1']);
    const fills = (await store.readEvents()).filter((e) => e.type === 'fill').map((e) => (e.data as { id: string }).id);
    expect(fills).toEqual(['u-bot:10']);
    expect(published.map((m) => (m as { id: string }).id)).toEqual(['u-bot:10']);
    expect(kernel.tracker.summary()).toMatchObject({ fills: 1 });
    expect(kernel.engine.foreignOrderEvents).toBe(4);
    await store.close();
  });
});
