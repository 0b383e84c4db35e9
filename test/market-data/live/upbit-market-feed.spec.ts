import { readFileSync } from 'node:fs';
import type { Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MarketEvent, TradeEvent } from '../../../src/core/index.js';
import { UpbitMarketFeed, type ConnectionStatus, type UpbitMarketFeedOptions } from '../../../src/market-data/live/upbit-market-feed.js';
import { UpbitFrames } from '../../../src/market-data/parsers/upbit-frames.js';
import { sharedData, skipWithoutSharedData } from '../../helpers/shared-data.js';
import { UpbitServer } from '../../helpers/upbit-server.js';
import { waitFor } from '../../helpers/wait-for.js';

let server: UpbitServer;
const subs: Subscription[] = [];

beforeAll(async () => {
  server = await UpbitServer.start();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  for (const s of subs.splice(0)) s.unsubscribe();
});

function run(options: Partial<UpbitMarketFeedOptions> = {}): { feed: UpbitMarketFeed; events: MarketEvent[]; states: ConnectionStatus[] } {
  const feed = new UpbitMarketFeed({ restUrl: server.restUrl, wsUrl: server.wsUrl, backoff: { initialDelayMs: 20, maxDelayMs: 200 }, random: () => 0.5, ...options });
  const events: MarketEvent[] = [];
  const states: ConnectionStatus[] = [];
  subs.push(feed.events$.subscribe((e) => events.push(e)));
  subs.push(feed.connection$.subscribe((s) => states.push(s)));
  return { feed, events, states };
}

const trades = (events: MarketEvent[]): TradeEvent[] => events.filter((e): e is TradeEvent => e.kind === 'trade');

describe('UpbitMarketFeed against the local Upbit server', () => {
  it('subscribes to ticker, trade and orderbook of every KRW market in one frame and emits MarketEvents', async () => {
    const before = server.subscriptions.length;
    const { feed, events } = run();
    await waitFor(() => server.subscriptions.length > before, 'a subscription');
    const frame = server.subscriptions.at(-1) as Record<string, unknown>[];
    const krw = server.marketCodes().filter((c) => c.startsWith('KRW-')).sort();
    expect(frame).toHaveLength(5);
    expect(frame[0]).toHaveProperty('ticket');
    expect(frame.slice(1, 4)).toEqual([
      { type: 'ticker', codes: krw },
      { type: 'trade', codes: krw },
      { type: 'orderbook', codes: krw },
    ]);
    expect(frame[4]).toEqual({ format: 'SIMPLE' });
    expect(feed.markets()).toContain('BTC/KRW');
    expect(feed.markets()).not.toContain('ETH/BTC');
    // snapshots of ticker and orderbook arrive on subscription
    await waitFor(() => events.some((e) => e.kind === 'book' && e.market === 'XRP/KRW'), 'an order-book snapshot');
    const t = server.publishTrade('KRW-XRP', { price: 3_125, volume: 12.5, side: 'ASK' });
    server.publishTicker('KRW-XRP');
    await waitFor(() => trades(events).length > 0, 'the trade');
    expect(trades(events)[0]).toEqual({ kind: 'trade', market: 'XRP/KRW', ts: t['timestamp'], price: 3_125, amount: 12.5, side: 'sell', id: t['sequential_id'] });
    const book = events.find((e) => e.kind === 'book' && e.market === 'XRP/KRW');
    expect(book).toMatchObject({ bidPrice: 3_120, askPrice: 3_121, bidSize: 2, askSize: 1 });
    await waitFor(() => events.some((e) => e.kind === 'ticker' && e.market === 'XRP/KRW' && e.price === 3_125), 'the ticker');
  });

  it('shares one socket between subscribers of events$: each sees every event, and the last one to leave closes it', async () => {
    const feed = new UpbitMarketFeed({ restUrl: server.restUrl, wsUrl: server.wsUrl, markets: ['ETH/KRW'], random: () => 0.5 });
    const a: MarketEvent[] = [];
    const b: MarketEvent[] = [];
    const states: string[] = [];
    subs.push(feed.connection$.subscribe((s) => states.push(s.state)));
    const connectionsBefore = server.publicConnections;
    const first = feed.events$.subscribe((e) => a.push(e));
    const second = feed.events$.subscribe((e) => b.push(e));
    // The order-book snapshot answers the subscription: the server is sending from then on.
    await waitFor(() => a.some((e) => e.kind === 'book'), 'the subscription');
    server.publishTrade('KRW-ETH', { price: 4_000_000, volume: 0.5, side: 'BID' });
    await waitFor(() => trades(a).length === 1 && trades(b).length === 1, 'the trade at both');
    expect(b).toEqual(a);
    first.unsubscribe();
    server.publishTrade('KRW-ETH', { price: 4_001_000, volume: 0.25, side: 'ASK' });
    await waitFor(() => trades(b).length === 2, 'the second trade');
    expect(trades(a)).toHaveLength(1);
    expect(states.at(-1)).toBe('open');
    second.unsubscribe();
    expect(states.at(-1)).toBe('stopped');
    expect(server.publicConnections - connectionsBefore).toBe(1);
  });

  it('re-reads the market list and re-subscribes on listings and delistings', async () => {
    const { feed } = run({ marketRefreshMs: 60_000 });
    await waitFor(() => feed.stats().subscriptions === 1, 'the first subscription');
    server.listMarket({ code: 'KRW-SOL', price: 250_000 });
    server.delistMarket('KRW-DOGE');
    try {
      await feed.refreshMarkets();
      const codesOf = (frame: unknown[] | undefined): string[] => (frame as { codes?: string[] }[] | undefined)?.[1]?.codes ?? [];
      await waitFor(() => codesOf(server.subscriptions.at(-1)).includes('KRW-SOL'), 'the second subscription');
      const codes = codesOf(server.subscriptions.at(-1));
      expect(codes).toContain('KRW-SOL');
      expect(codes).not.toContain('KRW-DOGE');
      expect(feed.markets()).toContain('SOL/KRW');
    } finally {
      server.delistMarket('KRW-SOL');
      server.listMarket({ code: 'KRW-DOGE', price: 312.5 });
    }
  });

  it('reconnects after the server drops the socket, resubscribes, and emits no trade twice', async () => {
    const { feed, events, states } = run({ markets: ['BTC/KRW'] });
    await waitFor(() => events.some((e) => e.kind === 'ticker'), 'the subscription snapshot');
    const t1 = server.publishTrade('KRW-BTC', { price: 95_000_000 });
    const t2 = server.publishTrade('KRW-BTC', { price: 95_001_000 });
    await waitFor(() => trades(events).length === 2, 'two trades');
    const opensBefore = server.publicConnections;
    server.dropConnections();
    await waitFor(() => feed.stats().subscriptions === 2 && events.filter((e) => e.kind === 'ticker').length >= 2, 'the resubscription');
    expect(server.publicConnections).toBe(opensBefore + 1);
    expect(states.map((s) => s.state)).toContain('backoff');
    // the server replays the last trade as a snapshot on subscribing, and we resend t2 as if realtime
    server.publishRaw({ ...t2 });
    const t3 = server.publishTrade('KRW-BTC', { price: 95_002_000 });
    await waitFor(() => trades(events).length >= 3, 'the third trade');
    await new Promise((r) => setTimeout(r, 50));
    expect(trades(events).map((t) => t.id)).toEqual([t1['sequential_id'], t2['sequential_id'], t3['sequential_id']]);
    expect(feed.stats().duplicates).toBeGreaterThanOrEqual(1);
    expect(feed.stats().reconnects).toBe(1);
  });

  it('counts trades missing from the sequential_id sequence', async () => {
    const { feed, events } = run({ markets: ['XRP/KRW'] });
    await waitFor(() => events.some((e) => e.kind === 'ticker'), 'the subscription snapshot');
    const second = Math.floor(Date.now() / 1000) + 10;
    for (const k of [0, 1, 4]) server.publishTrade('KRW-XRP', { sequentialId: second * 1_000_000 + k });
    await waitFor(() => trades(events).length === 3, 'three trades');
    expect(feed.stats().gaps).toBe(2);
  });

  it('detects a stalled connection (no frames, no pongs) and reconnects', async () => {
    const { feed, states } = run({ markets: ['ETH/KRW'], pingIntervalMs: 30, idleTimeoutMs: 150 });
    await waitFor(() => feed.stats().subscriptions === 1, 'the subscription');
    server.stall(true);
    try {
      await waitFor(() => feed.stats().stalls >= 1, 'stall detection', 3_000);
    } finally {
      server.stall(false);
    }
    await waitFor(() => feed.stats().subscriptions >= 2, 'the resubscription after the stall', 3_000);
    expect(states.some((s) => s.state === 'backoff' && s.reason === 'stalled')).toBe(true);
  });

  it('backs off exponentially while the server refuses connections, then connects', async () => {
    server.refuseConnections(3);
    const { feed, states } = run({ markets: ['ETH/KRW'], backoff: { initialDelayMs: 20, maxDelayMs: 1_000, jitter: 0 } });
    await waitFor(() => feed.stats().subscriptions === 1, 'the subscription after refusals', 5_000);
    const delays = states.filter((s) => s.state === 'backoff').map((s) => s.delayMs);
    expect(delays).toEqual([20, 40, 80]);
    expect(states.at(-1)?.state).toBe('open');
  });

  it('closes a socket whose subscription Upbit refused, counts it, and subscribes again after a growing backoff', async () => {
    // Upbit answers a bad subscription with an error frame and keeps the socket open and answering pings:
    // without acting on the frame the feed sat connected with no data, its stall check never firing.
    server.refuseSubscriptions(2);
    const opensBefore = server.publicConnections;
    const { feed, events, states } = run({ markets: ['ETH/KRW'], backoff: { initialDelayMs: 20, maxDelayMs: 1_000, jitter: 0 } });
    await waitFor(() => events.some((e) => e.kind === 'ticker'), 'data after two refused subscriptions', 5_000);
    expect(feed.stats().subscriptionErrors).toBe(2);
    expect(feed.stats().subscriptions).toBe(3);
    expect(server.publicConnections).toBe(opensBefore + 3);
    const backoffs = states.filter((s) => s.state === 'backoff');
    // The delay grows across the refusals (an open is not a success until data flows).
    expect(backoffs.map((s) => s.delayMs)).toEqual([20, 40]);
    expect(backoffs[0]?.reason).toMatch(/^subscription refused: INVALID_PARAM/);
    expect(states.at(-1)?.state).toBe('open');
    // Data flowed: the next failure starts the backoff over.
    server.dropConnections();
    await waitFor(() => states.filter((s) => s.state === 'backoff').length === 3, 'the backoff after the drop', 3_000);
    expect(states.filter((s) => s.state === 'backoff').at(-1)?.delayMs).toBe(20);
  });

  it('opens the socket again when market data stops while pongs go on (a subscription that died)', async () => {
    const { feed, events, states } = run({ markets: ['ETH/KRW'], pingIntervalMs: 30, idleTimeoutMs: 2_000, dataIdleMs: 300 });
    await waitFor(() => events.some((e) => e.kind === 'ticker'), 'the subscription snapshot');
    server.mute(true);
    try {
      await waitFor(() => feed.stats().dataStalls >= 1, 'the data stall', 3_000);
      // Pongs kept coming, so the stall check (no frame, no pong) would not have fired on such a socket.
      expect(states.some((s) => s.state === 'backoff' && /^no market data for \d+ s/.test(s.reason ?? ''))).toBe(true);
    } finally {
      server.mute(false);
    }
    const tickers = events.filter((e) => e.kind === 'ticker').length;
    await waitFor(() => events.filter((e) => e.kind === 'ticker').length > tickers, 'data on the new socket', 3_000);
    expect(feed.stats().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('replays a real Upbit capture: every frame becomes the same events as the offline parser, no gaps', async (ctx) => {
    if (skipWithoutSharedData()) ctx.skip();
    const file = sharedData('ws/upbit-2021-04/UPBIT.ws.62.0.messages.jsonl');
    const codes = ['BTC-ITAM', 'BTC-PAX', 'BTC-XTZ', 'KRW-LAMB', 'KRW-WAVES'];
    for (const code of codes) if (!server.marketCodes().includes(code)) server.listMarket({ code, price: 100 });
    const expected: MarketEvent[] = [];
    const parser = new UpbitFrames();
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line) parser.handle((JSON.parse(line) as { msg: Record<string, unknown> }).msg, expected);
    const { feed, events } = run({ markets: codes, format: 'DEFAULT' });
    await waitFor(() => events.filter((e) => e.kind === 'book').length === 5, 'the subscription snapshots');
    events.length = 0; // drop subscription snapshots
    const sent = await server.replay(file);
    await waitFor(() => events.length >= expected.length, `${expected.length} events`, 10_000);
    expect(sent).toBe(449);
    expect(events).toEqual(expected);
    expect(feed.stats().gaps).toBe(0);
    expect(feed.stats().duplicates).toBe(0);
  });
});
