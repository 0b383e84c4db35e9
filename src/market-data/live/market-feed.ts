import type { Observable } from 'rxjs';
import type { ConnectionStateName } from '../../../machines/connection-machine.js';
import type { MarketEvent } from '../../core/index.js';

export interface ConnectionStatus {
  readonly state: ConnectionStateName;
  /** Failed attempts in a row. */
  readonly attempt: number;
  /** Delay of the current backoff wait (state `backoff`). */
  readonly delayMs: number;
  readonly reason: string | undefined;
  /** Successful connections so far. */
  readonly opens: number;
}

/**
 * A live source of market events (Upbit's own websocket, or any ccxt.pro exchange), as paper and live
 * sessions consume it: the events, the connection's state, and counters for the status line and report.
 */
export interface MarketFeed {
  readonly events$: Observable<MarketEvent>;
  readonly connection$: Observable<ConnectionStatus>;
  stats(): { readonly markets: number; readonly reconnects: number; readonly malformed: number };
}
