import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { MarketEvent, OrderEvent } from '../../src/core/index.js';
import { createBacktest } from '../../src/engine/backtest.js';
import { readAll } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

describe.skipIf(skipWithoutSharedData())('sells in whole lots (real trades)', () => {
  it('sells what partial fills and re-priced sells left in whole lot steps: no sell refused for its amount, no sell asked again every batch', async () => {
    // The recorded trades looped (each loop shifted by the tape's span) to 600k events, as bench/backtest.ts does.
    const tape = (await readAll([sharedData('trades')])).events.filter((e) => e.kind === 'trade');
    const span = (tape.at(-1)?.ts as number) - (tape[0]?.ts as number) + 60_000;
    const events: MarketEvent[] = [];
    for (let loop = 0; events.length < 600_000; loop++) for (const e of tape) events.push(e.kind === 'trade' ? { kind: 'trade', market: e.market, ts: e.ts + loop * span, price: e.price, amount: e.amount } : e);
    const base = parseConfig({ exchange: { quote: 'USDT' }, simulator: { initialBalance: 100_000 }, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 } });
    // A feature batch a second: the strategy reviews every position each second.
    const config = parseConfig({ ...base, features: { ...base.features, every: '1s' } });
    const run = createBacktest(config, 'USDT', events[0]?.ts ?? 0);
    const orders: OrderEvent[] = [];
    let sells = 0;
    run.engine.listen({ onOrderEvent: (e) => orders.push(e), onDecision: (d) => void (d.kind === 'SELL' && sells++) });
    for (const e of events) run.feed(e);
    run.engine.finish();
    // Holdings after a partly filled, re-priced sell carry float noise (22.494042109999903): sold as is,
    // the exchange refused every such sell and the strategy asked again every second (44,129 times).
    expect(orders.filter((e) => e.type === 'order.rejected').map((e) => e.type === 'order.rejected' && e.message)).toEqual([]);
    const sellOrders = orders.filter((e) => e.type === 'order.accepted' && e.order.side === 'sell').length;
    expect(sellOrders).toBeGreaterThan(0);
    expect(sells).toBeLessThanOrEqual(sellOrders + 10);
  });
});
