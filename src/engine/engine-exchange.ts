import type { Observable } from 'rxjs';
import type { Balance, LimitOrderRequest, MarketEvent, Order, OrderEvent } from '../core/index.js';
import type { SimulatedExchangeSnapshot } from '../exchange/index.js';

/**
 * What the engine needs of an exchange: the simulated one (backtest, demo, paper) and the live account
 * (`coinrx live`) both provide it. Reads are synchronous views of the account kept current by order
 * events, so the engine's sizing and equity never wait on the network.
 */
export interface EngineExchange {
  readonly orderEvents$: Observable<OrderEvent>;
  createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined>;
  cancelOrder(orderId: string): Promise<void>;
  /** The order as last known locally; undefined when unknown (or still in flight). */
  getOrder(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined;
  getOpenOrders(): readonly Order[];
  getBalance(currency: string): Balance;
  getBalances(): readonly Balance[];
  /** Asks the exchange itself (a live exchange); absent: `getOrder` is the exchange's own truth. */
  lookupOrder?(ref: { readonly clientId: string; readonly market: string }): Promise<Order | undefined>;
  /** Event-time drive of a simulated exchange. */
  onMarketEvent?(event: MarketEvent): void;
  advanceTo?(ts: number): void;
  /** Checkpoints need the exchange's state: only a simulated exchange has one to save. */
  snapshot?(): SimulatedExchangeSnapshot;
}
