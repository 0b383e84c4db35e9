import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { Balance, LimitOrderRequest, Order, OrderEvent, TradeEvent } from '../../src/core/index.js';
import { configuredStrategy } from '../../src/engine/backtest.js';
import type { EngineExchange } from '../../src/engine/engine-exchange.js';
import { TradingEngine } from '../../src/engine/trading-engine.js';
import { upbitKrwRules } from '../../src/exchange/index.js';

/** A live exchange whose acknowledgements never come and whose look-ups fail `failures` times first. */
class SilentExchange implements EngineExchange {
  readonly orderEvents$ = new Subject<OrderEvent>();
  readonly requests: LimitOrderRequest[] = [];
  lookups = 0;
  constructor(private failures: number) {}
  async createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined> {
    this.requests.push(request);
    return undefined;
  }
  async cancelOrder(): Promise<void> {}
  getOrder(): Order | undefined {
    return undefined;
  }
  getOpenOrders(): readonly Order[] {
    return [];
  }
  getBalance(currency: string): Balance {
    return { currency, free: currency === 'KRW' ? 1_000_000 : 0, locked: 0 };
  }
  getBalances(): readonly Balance[] {
    return [this.getBalance('KRW')];
  }
  async lookupOrder(ref: { readonly clientId: string }): Promise<Order | undefined> {
    this.lookups++;
    if (this.failures-- > 0) throw new Error('network down');
    const r = this.requests.find((x) => x.clientId === ref.clientId) as LimitOrderRequest;
    return { ...r, id: 'u1', status: 'open', filled: 0, cost: 0, fee: 0, ts: 0 };
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a live look-up that fails', () => {
  it('is retried with backoff until the exchange answers, and the position leaves its unknown state', async () => {
    vi.useFakeTimers();
    const config = parseConfig({ filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
    const exchange = new SilentExchange(3);
    const engine = new TradingEngine({ config, exchange, rules: (m) => (m.endsWith('/KRW') ? upbitKrwRules(m) : undefined), quote: 'KRW', strategy: configuredStrategy(config, 0.0005) });
    const t0 = Date.UTC(2024, 0, 1);
    const trade = (minute: number, price: number): TradeEvent => ({ kind: 'trade', market: 'XRP/KRW', ts: t0 + minute * 60_000, price, amount: 100 });
    for (let m = 0; m < 5; m++) engine.onMarketEvent(trade(m, 3000 + m));
    expect(exchange.requests).toHaveLength(1);
    // Two minutes without an acknowledgement: the position asks the exchange, which fails three times.
    engine.onMarketEvent(trade(7, 3010));
    engine.onMarketEvent(trade(8, 3010));
    expect(engine.openPositions()[0]?.state).toBe('unknownBuy');
    for (let i = 0; i < 10 && engine.openPositions()[0]?.state === 'unknownBuy'; i++) await vi.advanceTimersByTimeAsync(10_000);
    expect(exchange.lookups).toBe(4);
    expect(engine.openPositions()[0]?.state).toBe('buying');
  });
});
