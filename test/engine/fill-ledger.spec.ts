import { describe, expect, it } from 'vitest';
import type { Order, OrderEvent } from '../../src/core/index.js';
import { FillLedger } from '../../src/engine/fill-ledger.js';
import { recordToStore } from '../../src/engine/store-recorder.js';
import { MemoryStore } from '../../src/store/index.js';
import type { EngineListener, TradingEngine } from '../../src/engine/trading-engine.js';

const order = (filled: number, status: Order['status'] = 'open'): Order => ({ id: 'u-1', clientId: 'bot-1-b1', market: 'XRP/KRW', side: 'buy', price: 3000, amount: 20, filled, cost: filled * 3000, fee: filled * 1.5, status, ts: 0 });
const fill = (before: number, after: number, ts = 1): Extract<OrderEvent, { type: 'order.fill' }> => ({
  type: 'order.fill',
  ts,
  order: order(after, after >= 20 ? 'filled' : 'open'),
  fill: { orderId: 'u-1', clientId: 'bot-1-b1', market: 'XRP/KRW', side: 'buy', price: 3000, amount: after - before, fee: (after - before) * 1.5, ts },
});

describe('FillLedger: exactly-once fills by id (order id and cumulative executed amount)', () => {
  it('records a fill once, whichever source reports it again, and keeps executed beside applied', () => {
    const ledger = new FillLedger();
    expect(ledger.take(fill(0, 5)).fill).toBe('new');
    expect(ledger.take(fill(0, 5)).fill).toBe('replay'); // the same fill from REST after the stream
    const last = ledger.take(fill(5, 20));
    expect(last).toMatchObject({ fill: 'new', id: 'u-1:20', entry: { executed: 20, applied: 20, fills: 2, status: 'filled' } });
    expect(ledger.replays).toBe(1);
  });

  it('after a restart the ids read back from the store make a replayed fill a no-op', () => {
    const before = new FillLedger();
    const first = before.take(fill(0, 5));
    const restarted = new FillLedger([first.id as string], [first.entry]);
    expect(restarted.take(fill(0, 5)).fill).toBe('replay');
    expect(restarted.take(fill(5, 15))).toMatchObject({ fill: 'new', entry: { executed: 15, applied: 15, fills: 2 } });
  });

  it('the store recorder writes a replayed fill to neither the event log nor the fills channel', async () => {
    const store = new MemoryStore({ botId: 'ledger' });
    const listeners: EngineListener[] = [];
    const engine = { listen: (l: EngineListener) => listeners.push(l), bot: { getPersistedSnapshot: () => ({}) }, balances: () => [], openPositions: () => [], results: [] } as unknown as TradingEngine;
    const published: unknown[] = [];
    await store.subscribe({ botId: 'ledger', channels: ['fills'] }, (m) => published.push(m.message));
    recordToStore(engine, store);
    const [listener] = listeners;
    for (const e of [fill(0, 5), fill(0, 5), fill(5, 20), fill(5, 20)]) listener?.onOrderEvent?.(e);
    const fills = (await store.readEvents()).filter((e) => e.type === 'fill').map((e) => (e.data as { id: string; amount: number }).id);
    expect(fills).toEqual(['u-1:5', 'u-1:20']);
    expect(published.map((m) => (m as { id: string }).id)).toEqual(['u-1:5', 'u-1:20']);
    const orders = await store.loadSnapshots('order');
    expect(JSON.parse(orders.get('bot-1-b1') as string)).toMatchObject({ executed: 20, applied: 20, fills: 2 });
    await store.close();
  });
});
