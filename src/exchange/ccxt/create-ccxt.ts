import { Agent } from 'node:http';
import { pro, type Exchange as Ccxt } from 'ccxt';
import { UPBIT_REST_URL } from '../../net/upbit-quotation.js';
import { hasPlainWebsocket, rehostUrls } from './ccxt-urls.js';

export interface CcxtOptions {
  /** ccxt exchange id (default `upbit`). */
  readonly exchangeId?: string;
  /** Default: from the environment (`exchangeKeys`). */
  readonly apiKey?: string;
  readonly secret?: string;
  /** The passphrase some exchanges (OKX, KuCoin) need besides key and secret. */
  readonly password?: string;
  /** Another host for every REST endpoint, paths kept (a sandbox, a local test server). */
  readonly restUrl?: string;
  /** Websocket base. Upbit: the public socket URL (`<ws>/private` for the private one); others: the origin. */
  readonly wsUrl?: string;
  /** ccxt's own request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** Read keys from here instead of `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The environment variables an exchange's keys are read from: Upbit's own names, `<ID>_API_KEY`… elsewhere. */
export function keyVariables(exchangeId: string): { apiKey: string; secret: string; password: string } {
  if (exchangeId === 'upbit') return { apiKey: 'UPBIT_ACCESS_KEY', secret: 'UPBIT_SECRET_KEY', password: 'UPBIT_PASSWORD' };
  const p = exchangeId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return { apiKey: `${p}_API_KEY`, secret: `${p}_SECRET`, password: `${p}_PASSWORD` };
}

/** Options for ccxt that every exchange understands or ignores: spot only, no warnings turned errors. */
const COMMON_OPTIONS = { defaultType: 'spot', warnOnFetchOpenOrdersWithoutSymbol: false };
/**
 * Per exchange: what keeps ccxt on the spot market. With keys, Binance would otherwise also load
 * futures and options markets, currencies and margin pairs from `sapi`/`fapi`/`dapi` at every
 * `loadMarkets`; listing open orders of every market at once is refused without `warnWithoutSymbol`.
 */
const BINANCE_SPOT = { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false, fetchOpenOrders: { warnWithoutSymbol: false } };
const EXCHANGE_OPTIONS: Readonly<Record<string, Record<string, unknown>>> = { binance: BINANCE_SPOT, binanceus: BINANCE_SPOT };

/**
 * A ccxt.pro instance (REST and websocket) for `exchangeId`, with keys from the options or the
 * environment (handed to ccxt only, never logged) and, when `restUrl` is given, every endpoint moved
 * to that host. Throws a clear error for an id ccxt.pro does not know.
 */
export function createCcxt(options: CcxtOptions = {}): Ccxt {
  const id = options.exchangeId ?? 'upbit';
  const Klass = Object.hasOwn(pro, id) ? (pro as unknown as Record<string, unknown>)[id] : undefined;
  if (typeof Klass !== 'function' || !/^[a-z0-9]+$/.test(id)) throw new Error(`unknown exchange "${id}": expected a ccxt.pro exchange id (upbit, binance, okx, …)`);
  const env = options.env ?? process.env;
  const vars = keyVariables(id);
  const apiKey = options.apiKey ?? env[vars.apiKey];
  const secret = options.secret ?? env[vars.secret];
  const password = options.password ?? env[vars.password];
  const ex = new (Klass as new (config: object) => Ccxt)({
    ...(apiKey ? { apiKey } : {}),
    ...(secret ? { secret } : {}),
    ...(password ? { password } : {}),
    enableRateLimit: true,
    timeout: options.timeoutMs ?? 10_000,
    options: { ...COMMON_OPTIONS, ...EXCHANGE_OPTIONS[id] },
  });
  // The adapter and the feeds own reconnect backoff (the connection machine); ccxt's own would stack on
  // top of it, delaying each dial by up to a minute more.
  const ws = (ex.options['ws'] ?? {}) as Record<string, unknown>;
  ex.options['ws'] = { ...ws, backoff: { ...(ws['backoff'] as object | undefined), base: 0 } };
  if (id === 'upbit') {
    // Upbit's websocket lives under the REST host: `<rest>/websocket/v1` unless given.
    if (options.restUrl !== undefined || options.wsUrl !== undefined) {
      const rest = (options.restUrl ?? UPBIT_REST_URL).replace(/\/$/, '');
      const ws = options.wsUrl ?? `${rest.replace(/^http/, 'ws')}/websocket/v1`;
      ex.urls['api'] = { ...(ex.urls['api'] as object), public: rest, private: rest, ws };
    }
  } else if (options.restUrl !== undefined) {
    ex.urls['api'] = rehostUrls(ex.urls['api'], options.restUrl, options.wsUrl);
  }
  // ccxt pings every 5 s and fails a socket after two silent intervals: a silent server is noticed in
  // seconds (its own default waits a minute or more).
  ex.streaming = { ...ex.streaming, keepAlive: 5_000, maxPingPongMisses: 2 };
  // ccxt refuses a plain ws:// socket (a local test server) without an HTTP agent (its loadHttpProxyAgent).
  if (hasPlainWebsocket(ex.urls['api'])) ex.httpAgent = new Agent();
  return ex;
}
