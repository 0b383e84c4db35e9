import { Subject } from 'rxjs';
import type { Balance, LimitOrderRequest, LookupReply, MarketRules, Order, OrderEvent, Venue } from '../../src/core/index.js';
import { upbitKrwRules } from '../../src/exchange/index.js';

/**
 * A live Upbit KRW account that never acknowledges an order (each request is only recorded) and holds
 * 1,000,000 KRW: what a test of the kernel's time-outs and look-ups needs. Subclasses answer look-ups.
 */
export abstract class SilentVenue implements Venue {
  readonly orderEvents$ = new Subject<OrderEvent>();
  readonly requests: LimitOrderRequest[] = [];
  readonly ackTimeoutMs = 60_000;
  rules(market: string): MarketRules | undefined {
    return market.endsWith('/KRW') ? upbitKrwRules(market) : undefined;
  }
  feeRate(quote: string): number {
    return upbitKrwRules(`BTC/${quote}`).feeRate;
  }
  observe(): void {}
  onMarketEvent(): void {}
  settle(): void {}
  drained(): Promise<number> {
    return Promise.resolve(0);
  }
  snapshot(): undefined {
    return undefined;
  }
  async restart(): Promise<readonly string[]> {
    return [];
  }
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
  abstract lookupOrder(ref: { readonly clientId: string }, reply: LookupReply): void;
}
