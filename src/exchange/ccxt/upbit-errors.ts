import { NetworkError, OperationFailed, RateLimitExceeded } from 'ccxt';
import type { RejectReason } from '../../core/index.js';
import { ExchangeBannedError } from '../../net/rate-limiter.js';

/** Upbit's `{error:{name,message}}` out of a ccxt error (ccxt puts the raw body in its message). */
export function upbitErrorOf(error: unknown): { name: string | undefined; message: string } {
  const text = error instanceof Error ? error.message : String(error);
  const brace = text.indexOf('{');
  if (brace >= 0) {
    try {
      const e = (JSON.parse(text.slice(brace)) as { error?: { name?: unknown; message?: unknown } }).error;
      if (e) return { name: e.name === undefined ? undefined : String(e.name), message: e.message === undefined ? text : String(e.message) };
    } catch {
      /* not a JSON body */
    }
  }
  return { name: undefined, message: text };
}

/** The engine's reject reason for an Upbit error name. */
export function rejectReasonOf(name: string | undefined): RejectReason {
  if (name === undefined) return 'exchange_error';
  if (name.startsWith('insufficient_funds')) return 'insufficient_funds';
  if (name.startsWith('under_min_total')) return 'under_minimum';
  if (name.startsWith('invalid_price') || name.startsWith('under_price_limit') || name.startsWith('over_price_limit')) return 'invalid_price';
  if (name.startsWith('invalid_volume') || name === 'volume_too_large' || name === 'invalid_funds' || name.startsWith('over_max_total')) return 'invalid_amount';
  if (name === 'market_does_not_exist' || name === 'market_not_found') return 'unknown_market';
  if (name === 'order_not_found') return 'unknown_order';
  return 'exchange_error';
}

/**
 * Worth retrying: the request may not have reached the exchange, the exchange failed (5xx, ccxt's
 * `OperationFailed` and its `NetworkError` subclasses), or it asked us to slow down. Never a 418 ban.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof ExchangeBannedError) return false;
  return error instanceof NetworkError || error instanceof OperationFailed || error instanceof RateLimitExceeded;
}
