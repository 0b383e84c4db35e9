import { retryWithBackoff, type RetryOptions } from './retry.js';

/** Upbit's public REST host. */
export const UPBIT_REST_URL = 'https://api.upbit.com';
/** Upbit's public websocket. */
export const UPBIT_WS_URL = 'wss://api.upbit.com/websocket/v1';

/** An HTTP answer that is not 2xx, with Upbit's error name when the body has one. */
export class UpbitHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'UpbitHttpError';
  }
}

export interface QuotationOptions {
  readonly restUrl?: string;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
}

/** GET a public quotation path, retried with backoff on network errors, 429 and 5xx; never on 418. */
export async function upbitGet<T>(path: string, options: QuotationOptions = {}): Promise<T> {
  const base = (options.restUrl ?? UPBIT_REST_URL).replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  return retryWithBackoff(
    async () => {
      const res = await doFetch(`${base}${path}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
      const text = await res.text();
      if (!res.ok) {
        let name: string | undefined;
        let message = text.slice(0, 200);
        try {
          const e = (JSON.parse(text) as { error?: { name?: unknown; message?: unknown } }).error;
          name = e?.name === undefined ? undefined : String(e.name);
          message = e?.message === undefined ? message : String(e.message);
        } catch {
          /* not JSON */
        }
        throw new UpbitHttpError(res.status, name, `GET ${path}: HTTP ${res.status} ${message}`);
      }
      return JSON.parse(text) as T;
    },
    {
      attempts: 4,
      ...options.retry,
      retryable: (e) => !(e instanceof UpbitHttpError) || e.status === 429 || e.status >= 500,
    },
  );
}

/** Codes (`KRW-BTC`) of every market quoted in `quote`, as `/v1/market/all` lists them now. */
export async function fetchUpbitMarketCodes(quote: string, options: QuotationOptions = {}): Promise<string[]> {
  const all = await upbitGet<{ market: string }[]>('/v1/market/all?isDetails=false', options);
  const prefix = `${quote.toUpperCase()}-`;
  return all.map((m) => m.market).filter((c) => typeof c === 'string' && c.startsWith(prefix)).sort();
}

/** Tick size per market code from `GET /v1/orderbook/instruments` (tick in force at the current price). */
export async function fetchUpbitTickSizes(codes: readonly string[], options: QuotationOptions = {}): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  // Keep URLs short: Upbit answers at most a few hundred codes per call.
  for (let i = 0; i < codes.length; i += 100) {
    const chunk = codes.slice(i, i + 100);
    const rows = await upbitGet<{ market: string; tick_size: string | number }[]>(`/v1/orderbook/instruments?markets=${chunk.join(',')}`, options);
    for (const r of rows) {
      const tick = Number(r.tick_size);
      if (Number.isFinite(tick) && tick > 0) out.set(r.market, tick);
    }
  }
  return out;
}
