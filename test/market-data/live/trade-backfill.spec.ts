import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketEvent, TradeEvent } from '../../../src/core/index.js';
import { UpbitMarketFeed } from '../../../src/market-data/live/upbit-market-feed.js';
import { UpbitServer } from '../../helpers/upbit-server.js';
import { waitFor } from '../../helpers/wait-for.js';

let server: UpbitServer;
beforeAll(async () => {
  server = await UpbitServer.start({ enforceRateLimits: false, markets: [{ code: 'KRW-XRP', price: 3000 }] });
});
afterAll(async () => {
  await server.close();
});

describe('trade gaps', () => {
  it('are filled from /v1/trades/ticks: the missed trades arrive once, with their own ids and times', async () => {
    const feed = new UpbitMarketFeed({ restUrl: server.restUrl, wsUrl: server.wsUrl, markets: ['XRP/KRW'] });
    const events: MarketEvent[] = [];
    const sub = feed.events$.subscribe((e) => events.push(e));
    try {
      await waitFor(() => server.subscriptions.length > 0, 'the subscription');
      const second = Math.floor(Date.now() / 1000) * 1000 + 5_000;
      const sid = (k: number): number => second * 1000 + k;
      server.publishTrade('KRW-XRP', { price: 3000, volume: 1, ts: second + 10, sequentialId: sid(0) });
      server.publishTrade('KRW-XRP', { price: 3001, volume: 2, ts: second + 20, sequentialId: sid(1), missed: true });
      server.publishTrade('KRW-XRP', { price: 3002, volume: 3, ts: second + 30, sequentialId: sid(2), missed: true });
      server.publishTrade('KRW-XRP', { price: 3003, volume: 4, ts: second + 40, sequentialId: sid(3) });
      await waitFor(() => feed.stats().backfilled === 2, 'the backfill', 10_000);
      const trades = events.filter((e): e is TradeEvent => e.kind === 'trade' && e.id !== undefined && e.id >= sid(0));
      expect(trades.map((t) => [t.id, t.price, t.amount, t.ts])).toEqual([
        [sid(0), 3000, 1, second + 10],
        [sid(3), 3003, 4, second + 40],
        [sid(1), 3001, 2, second + 20],
        [sid(2), 3002, 3, second + 30],
      ]);
      expect(feed.stats()).toMatchObject({ gaps: 2, lateTrades: 2, backfilled: 2, duplicates: 0 });
      expect(server.requestsTo('/v1/trades/ticks')).toHaveLength(1);
    } finally {
      sub.unsubscribe();
    }
  });
});
