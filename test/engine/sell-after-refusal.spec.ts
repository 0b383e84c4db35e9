import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { TradeEvent } from '../../src/core/index.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import type { Kernel } from '../../src/engine/kernel.js';
import type { LiveNode } from '../../src/engine/nodes/live-node.js';
import { FaultProxy, type ProxyAction } from '../helpers/fault-proxy.js';
import { skipWithoutRedis } from '../helpers/redis-server.js';
import { LiveSessions } from '../helpers/live-sessions.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * An exit whose sell the exchange refused or failed to take is asked again. The strategy asks an exit once per
 * position state; the engine dropped the one asked while the market cooled down after the refusal
 * (`cooling-down`), and the position, back in `holding`, was never asked to sell again: its take-profit, stop-loss
 * and time limit were dead for the rest of the run. Real ccxt against the local Upbit server behind a fault proxy,
 * a real redis-server; 1 s batches, as `coinrx live` trades with `features.every=1s`.
 */
const config = parseConfig({ botId: 'refused', exchange: { id: 'upbit', quote: 'KRW', markets: ['XRP/KRW'] }, features: { every: '1s' }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
const sessions = new LiveSessions(config);

interface Setup {
  readonly server: UpbitServer;
  readonly proxy: FaultProxy;
  readonly node: LiveNode;
  readonly kernel: Kernel;
  readonly sells: { ts: number; outcome: string }[];
  readonly rejects: { ts: number; message: string }[];
  /** Event times the position entered `selling`. */
  readonly selling: number[];
  trade(price: number, stepMs?: number): number;
  /** A trade stamped now (event time following this machine's clock, as live). */
  tradeNow(price: number): number;
}

/** A position holding 20 XRP bought at about 3,000 KRW, on 1 s batches of event time two hours ago. */
async function holding(): Promise<Setup> {
  await sessions.start();
  const server = sessions.closeAfter(await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-XRP', price: 3_000 }] }));
  const proxy = sessions.closeAfter(await FaultProxy.start(server.restUrl));
  const lines: string[] = [];
  const exchange = new CcxtExchange({ restUrl: proxy.url, wsUrl: server.wsUrl, apiKey: server.accessKey, secret: server.secretKey, pollIntervalMs: 100 });
  let ts = Date.now() - 120 * 60_000;
  const rejects: { ts: number; message: string }[] = [];
  const node = await sessions.node(exchange, lines, server.restUrl);
  const kernel = node.start();
  exchange.orderEvents$.subscribe((e) => void (e.type === 'order.rejected' && e.side === 'sell' && rejects.push({ ts, message: e.message })));
  const sells: { ts: number; outcome: string }[] = [];
  const selling: number[] = [];
  kernel.engine.listen({ onDecisionOutcome: (d, o) => void (d.kind === 'SELL' && sells.push({ ts: d.ts, outcome: o })), onPositionTransition: (t) => void (t.to === 'selling' && selling.push(t.ts)) });
  await waitFor(() => lines.includes('reconciled; trading'), 'trading', 10_000);
  const trade = (price: number, stepMs = 60_000): number => {
    kernel.feed({ kind: 'trade', market: 'XRP/KRW', ts: (ts += stepMs), price, amount: 1_000 } satisfies TradeEvent);
    return ts;
  };
  for (let m = 0; m < 6; m++) trade(2_990 + m * 2);
  await waitFor(() => node.account.getOpenOrders().length === 1, 'the buy resting', 5_000);
  server.fillOrder(node.account.getOpenOrders()[0]!.id);
  await waitFor(() => kernel.engine.openPositions()[0]?.state === 'holding', 'holding', 5_000);
  const tradeNow = (price: number): number => trade(price, Math.max(1, Date.now() - ts));
  return { server, proxy, node, kernel, sells, rejects, selling, trade, tradeNow };
}

const asks = (server: UpbitServer): number => server.requestsTo('/v1/orders', 'POST').filter((r) => r.body?.['side'] === 'ask').length;

/** The take-profit's sell (3,100 KRW) tried through `refusal`, then the exchange taking orders again: the event time of the reject. */
async function refusedOnce(s: Setup, refusal: ProxyAction): Promise<number> {
  s.proxy.rule = (method, p) => (method === 'POST' && p === '/v1/orders' ? refusal : { kind: 'forward' });
  s.trade(3_100);
  s.trade(3_100, 1_000);
  await waitFor(() => s.rejects.length > 0, 'the sell rejected', 15_000);
  await waitFor(() => s.kernel.engine.openPositions()[0]?.state === 'holding', 'holding again', 15_000);
  s.proxy.rule = () => ({ kind: 'forward' });
  return s.rejects[0]!.ts;
}

describe.skipIf(skipWithoutRedis())('an exit whose sell was refused', () => {
  it('refused by the exchange (a market closed for a moment): the exit is placed again once the minute of cooldown is over', async () => {
    const s = await holding();
    const at = await refusedOnce(s, { kind: 'refuse', status: 400, body: JSON.stringify({ error: { name: 'market_offline', message: '거래가 일시 중단된 마켓입니다.' } }) });
    expect(asks(s.server)).toBe(0);
    // Three minutes of 1 s batches at the take-profit's price.
    for (let i = 0; i < 180; i++) {
      s.trade(3_100, 1_000);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => asks(s.server) >= 1, 'the sell placed again', 5_000);
    // The refused sell, then the one after the minute's wait (and any re-priced after it).
    expect(s.selling.length).toBeGreaterThanOrEqual(2);
    expect(s.selling[1]! - at).toBeGreaterThanOrEqual(59_000);
    expect(s.selling[1]! - at).toBeLessThan(62_000);
    expect(s.sells.some((d) => d.outcome === 'cooling-down')).toBe(true);
  }, 60_000);

  it('not taken through a 5xx storm of two seconds (no refusal): the exit is placed again at the next batches, not a minute later', async () => {
    const s = await holding();
    const at = await refusedOnce(s, { kind: 'refuse', status: 503, body: '<html>503 Service Temporarily Unavailable</html>', contentType: 'text/html' });
    expect(s.rejects[0]?.message).toMatch(/no acknowledgement after 4 attempts/);
    for (let i = 0; i < 10; i++) {
      s.trade(3_100, 1_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => asks(s.server) >= 1, 'the sell placed again', 5_000);
    expect(s.selling.length).toBeGreaterThanOrEqual(2);
    expect(s.selling[1]! - at).toBeLessThanOrEqual(3_000);
    expect(s.sells.some((d) => d.outcome === 'cooling-down')).toBe(false);
  }, 60_000);

  it('refused during a ban (418, "Blocked for 3 seconds"): the exit is placed again at the ban’s end, not a doubling wait past it', async () => {
    const s = await holding();
    s.proxy.rule = (method, p) =>
      method === 'POST' && p === '/v1/orders' ? { kind: 'refuse', status: 418, body: JSON.stringify({ error: { name: 'blocked', message: 'Blocked for 3 seconds after repeated 429s.' } }) } : { kind: 'forward' };
    // From here the event time is this machine's clock, as live.
    const start = Date.now();
    await waitFor(() => {
      s.tradeNow(3_100);
      return s.rejects.length > 0;
    }, 'the sell refused for the ban', 10_000, 200);
    s.proxy.rule = () => ({ kind: 'forward' });
    expect(s.rejects[0]?.message).toMatch(/banned/);
    await waitFor(() => {
      s.tradeNow(3_100);
      return asks(s.server) >= 1;
    }, 'the sell placed after the ban', 10_000, 200);
    // The ban's 3 s and a batch or two, not the minute of a first refusal.
    expect(Date.now() - start).toBeLessThan(8_000);
  }, 60_000);
});
