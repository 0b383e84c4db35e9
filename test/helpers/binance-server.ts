import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { ServerFaults } from './server-faults.js';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * A local Binance SPOT exchange on 127.0.0.1 for integration tests, REST and websockets on one port
 * with Binance's real paths, so that real ccxt (`ccxt.binance`, `ccxt.pro.binance` 4.5.84) is the
 * client once its `urls.api` table is re-hosted (`rehostUrls(ex.urls.api, server.restUrl)`):
 *
 * - REST `/api/v3/*`: ping, time, exchangeInfo (PRICE_FILTER / LOT_SIZE / NOTIONAL filters), ticker/price,
 *   ticker/24hr, ticker/bookTicker, depth, trades, klines; signed (HMAC-SHA256 of the raw query string
 *   followed by the raw body, `X-MBX-APIKEY`, `timestamp`/`recvWindow` checked like Binance): account,
 *   order (POST/GET/DELETE), openOrders, allOrders, myTrades; userDataStream (listenKey, API key only).
 *   Errors are Binance's bodies and statuses (`{"code":-2010,"msg":"..."}`, 400/401/404/429/418/5xx); every
 *   answer carries `x-mbx-used-weight-1m` (and `x-mbx-order-count-10s` for orders). An unknown path is
 *   answered 404 `{"code":-1,"msg":"... is not served"}` and recorded in `requests`.
 * - Market streams: `/ws` (raw frames; `/ws/<stream>` subscribes that one stream at connect; ccxt opens
 *   `/ws/<n>` and sends `SUBSCRIBE`) and `/stream?streams=a/b` (combined: `{"stream","data"}`), with
 *   `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` answered `{"result":...,"id":N}`; streams
 *   `<sym>@trade`, `<sym>@aggTrade`, `<sym>@bookTicker`, `<sym>@ticker`, `<sym>@miniTicker` and, by replay,
 *   whatever a capture holds. The server pings every `pingIntervalMs` and pongs the client's pings.
 * - User data: ccxt 4.5.84 spot `watchOrders` / `watchBalance` / `watchMyTrades` use the WebSocket API
 *   (`/ws-api/v3`, method `userDataStream.subscribe.signature`, params signed like ccxt's `signParams`:
 *   keys sorted, `k=v&...` unencoded, HMAC-SHA256); events arrive as `{"subscriptionId":N,"event":{...}}`:
 *   `executionReport` (NEW, TRADE, CANCELED, EXPIRED) then `outboundAccountPosition`. The legacy
 *   listenKey stream (`POST /api/v3/userDataStream`, then `/ws/<listenKey>`) gets the same events raw.
 *
 * ccxt set-up (see test/exchange/binance-server.spec.ts): `options: { fetchMarkets: { types: ['spot'] },
 * fetchCurrencies: false, fetchMargins: false, fetchOpenOrders: { warnWithoutSymbol: false } }`. With keys
 * ccxt's `loadMarkets` would otherwise call `/sapi/v1/capital/config/getall` (currencies) and
 * `/sapi/v1/margin/allPairs` + `/sapi/v1/margin/isolated/allPairs` (margin flags), and the default
 * market types add `/fapi/v1/exchangeInfo` and `/dapi/v1/exchangeInfo`: this server serves none of them
 * (they 404), the options turn them off. A production spot adapter needs none of them either.
 *
 * Orders: LIMIT (GTC, IOC, FOK) and MARKET (by `quantity`). A limit order marketable on arrival against
 * the top of book (the last published book ticker, otherwise bid = last price, ask = last price + one
 * tick) fills at once as taker for its whole quantity; otherwise it rests. `publishTrade` fills resting
 * orders the trade goes through (a buy only on a print strictly below its price, a sell strictly above:
 * the conservative `through` rule of the simulated exchange), at the order's price, best price first,
 * the fills bounded by the trade's quantity rounded down to the step. Commission is `feeRate` of what is
 * received: the base asset on a buy, the quote asset on a sell (Binance without BNB). With `payFeesIn`
 * ('BNB', Binance's "use BNB to pay for fees"), an account holding enough of it pays every fill's
 * commission in it instead: `feeRate` × (1 − `payFeesDiscount`) of the quote traded, at the last price of
 * `<asset><quoteAsset>` (which must be one of the markets), taken from that asset. `fillOrder` fills
 * directly. Balances: a buy locks price × quantity of the quote, a sell the quantity of the base.
 *
 * Fault injection: `failNext` (429 / 418 with `Retry-After`, 500 / 503), `loseNextAcks` (the order is
 * made, the connection is destroyed before the answer), `dropConnections`, `stall`, `refuseConnections`.
 * Nothing here keeps the process alive: the server, its sockets and timers are unref'd; `close()` ends all.
 */

export interface BinanceMarket {
  /** Binance symbol, `BTCUSDT`. */
  readonly symbol: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  /** PRICE_FILTER tickSize as Binance writes it (`'0.01000000'` or `'0.01'`). */
  readonly tickSize: string;
  /** LOT_SIZE stepSize. */
  readonly stepSize: string;
  readonly minQty?: string;
  readonly maxQty?: string;
  readonly minPrice?: string;
  readonly maxPrice?: string;
  /** NOTIONAL minNotional (quote). */
  readonly minNotional: string;
  /** Filter type carrying the minimum notional (default NOTIONAL, Binance's spot filter since 2023). */
  readonly notionalFilter?: 'NOTIONAL' | 'MIN_NOTIONAL';
  readonly status?: 'TRADING' | 'BREAK' | 'HALT' | 'END_OF_DAY';
  /** Last price. */
  price: number;
}

export interface BinanceServerOptions {
  readonly markets?: readonly BinanceMarket[];
  /** 64 alphanumerics like Binance's keys (anything else is refused with -2014 "API-key format invalid."). */
  readonly apiKey?: string;
  readonly secret?: string;
  /** Starting balances by asset (default 10,000 USDT). */
  readonly balances?: Readonly<Record<string, number>>;
  /** Commission per fill (default 0.001, Binance's standard spot rate). */
  readonly feeRate?: number;
  /** An asset that pays the commission while the account holds enough of it (Binance's BNB option); none by default. */
  readonly payFeesIn?: string;
  /** The commission's discount when `payFeesIn` pays it (default 0.25, Binance's BNB discount). */
  readonly payFeesDiscount?: number;
  /** 429 past 6,000 request weight a minute and 100 orders per 10 s (default true). */
  readonly enforceRateLimits?: boolean;
  /** Server websocket pings (default 20,000 ms like Binance). */
  readonly pingIntervalMs?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Form body parameters (POST / PUT / DELETE with a body). */
  readonly body: Readonly<Record<string, string>> | undefined;
  readonly status: number;
  readonly ts: number;
}

/** A candle row as ccxt writes OHLCV: `[openTime, open, high, low, close, volume]`. */
export type CandleRow = readonly [number, number, number, number, number, number];

export interface TradeInput {
  readonly price?: number;
  readonly qty?: number;
  readonly buyerIsMaker?: boolean;
  readonly ts?: number;
  readonly id?: number;
}

interface PublicTrade {
  id: number;
  price: number;
  qty: number;
  time: number;
  buyerIsMaker: boolean;
}

interface ServerFill {
  id: number;
  price: number;
  qty: number;
  quoteQty: number;
  commission: number;
  commissionAsset: string;
  time: number;
  isMaker: boolean;
}

type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';

interface ServerOrder {
  orderId: number;
  clientOrderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: 'LIMIT' | 'MARKET';
  timeInForce: string;
  price: number;
  origQty: number;
  executedQty: number;
  cumQuote: number;
  status: OrderStatus;
  time: number;
  updateTime: number;
  /** What this order holds locked (quote for a buy, base for a sell). */
  locked: number;
  fills: ServerFill[];
}

/** One order as the server holds it, for audits (a copy: changing it changes nothing). */
export interface BinanceOrderRecord {
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly price: number;
  readonly origQty: number;
  readonly executedQty: number;
  readonly status: OrderStatus;
  readonly time: number;
  /** When it left the book; undefined while it rests. */
  readonly closedAt: number | undefined;
  readonly fills: readonly { readonly id: number; readonly price: number; readonly qty: number; readonly commission: number; readonly commissionAsset: string; readonly time: number }[];
}

interface PublicClient {
  readonly ws: WebSocket;
  readonly combined: boolean;
  readonly streams: Set<string>;
}

interface UserClient {
  readonly ws: WebSocket;
  /** ws-api subscription ids; undefined for a raw listenKey stream. */
  readonly subscriptions: Set<number> | undefined;
}

/** Binance's documented example key pair (64 alphanumerics each). */
export const DEFAULT_BINANCE_API_KEY = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A';
export const DEFAULT_BINANCE_SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';

/** Real Binance spot filters (2024) for three liquid USDT markets. */
export const DEFAULT_BINANCE_MARKETS: readonly BinanceMarket[] = [
  { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', tickSize: '0.01000000', stepSize: '0.00001000', minQty: '0.00001000', maxQty: '9000.00000000', minNotional: '5.00000000', price: 60_000 },
  { symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT', tickSize: '0.01000000', stepSize: '0.00010000', minQty: '0.00010000', maxQty: '9000.00000000', minNotional: '5.00000000', price: 2_600 },
  { symbol: 'XRPUSDT', baseAsset: 'XRP', quoteAsset: 'USDT', tickSize: '0.00010000', stepSize: '0.10000000', minQty: '0.10000000', maxQty: '9222449.00000000', minNotional: '5.00000000', price: 0.5 },
];

const INTERVALS: Record<string, number> = {
  '1s': 1_000, '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000, '2h': 7_200_000,
  '4h': 14_400_000, '6h': 21_600_000, '8h': 28_800_000, '12h': 43_200_000, '1d': 86_400_000, '3d': 259_200_000, '1w': 604_800_000,
};

const WEIGHT_LIMIT = 6_000;
const ORDER_LIMIT_10S = 100;

/** Binance's 8-decimal number strings. */
function f8(x: number): string {
  return (Math.round(x * 1e8) / 1e8).toFixed(8);
}
function r8(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}
/** True when `x` is a whole multiple of `step` (within float noise). */
function onStep(x: number, step: number): boolean {
  const k = x / step;
  return Math.abs(k - Math.round(k)) < 1e-7;
}
function floorToStep(x: number, step: number): number {
  return r8(Math.floor(x / step + 1e-9) * step);
}
function uuid22(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

class BinanceError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A query parameter as a number, or undefined when it was not sent. */
const optionalNumber = (q: Readonly<Record<string, string>>, name: string): number | undefined => (q[name] !== undefined ? Number(q[name]) : undefined);
const mandatory = (name: string): BinanceError => new BinanceError(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);

export class BinanceServer {
  readonly apiKey: string;
  readonly secret: string;
  readonly requests: RecordedRequest[] = [];
  /** Every SUBSCRIBE / UNSUBSCRIBE frame received on the market streams, parsed. */
  readonly subscriptions: Record<string, unknown>[] = [];
  /** Every request received on the WebSocket API, parsed. */
  readonly wsApiRequests: Record<string, unknown>[] = [];
  publicConnections = 0;
  privateConnections = 0;
  /** Orders created, including the ones whose acknowledgement was lost. */
  ordersCreated = 0;

  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #markets = new Map<string, BinanceMarket>();
  readonly #trades = new Map<string, PublicTrade[]>();
  readonly #candles = new Map<string, { interval: string; rows: CandleRow[] }>();
  readonly #books = new Map<string, { bidPrice: number; bidQty: number; askPrice: number; askQty: number }>();
  readonly #orders = new Map<number, ServerOrder>();
  readonly #byClientId = new Map<string, ServerOrder>();
  readonly #balances = new Map<string, { free: number; locked: number }>();
  readonly #public = new Set<PublicClient>();
  readonly #users = new Set<UserClient>();
  readonly #listenKeys = new Set<string>();
  readonly #sockets = new Set<Socket>();
  readonly #faults = new ServerFaults();
  readonly #enforce: boolean;
  readonly #feeRate: number;
  readonly #payFeesIn: { readonly asset: string; readonly discount: number } | undefined;
  readonly #pingTimer: NodeJS.Timeout;
  #weight = { minute: 0, used: 0 };
  #orderCount: number[] = [];
  #nextOrderId = 1_000_001;
  #nextTradeId = 500_000_001;
  #nextFillId = 900_000_001;
  #nextSubscriptionId = 0;
  #bookUpdateId = 1;
  #port = 0;

  private constructor(options: BinanceServerOptions) {
    this.apiKey = options.apiKey ?? DEFAULT_BINANCE_API_KEY;
    this.secret = options.secret ?? DEFAULT_BINANCE_SECRET;
    this.#enforce = options.enforceRateLimits ?? true;
    this.#feeRate = options.feeRate ?? 0.001;
    this.#payFeesIn = options.payFeesIn ? { asset: options.payFeesIn, discount: options.payFeesDiscount ?? 0.25 } : undefined;
    for (const m of options.markets ?? DEFAULT_BINANCE_MARKETS) this.#markets.set(m.symbol, { ...m });
    for (const [asset, v] of Object.entries(options.balances ?? { USDT: 10_000 })) this.#balances.set(asset, { free: v, locked: 0 });
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('connection', (s: Socket) => {
      s.unref();
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    this.#wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.#server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket as Socket, head));
    this.#pingTimer = setInterval(() => {
      if (this.#faults.stalled) return;
      for (const c of [...this.#public, ...this.#users]) if (c.ws.readyState === WebSocket.OPEN) c.ws.ping();
    }, options.pingIntervalMs ?? 20_000);
    this.#pingTimer.unref();
  }

  static async start(options: BinanceServerOptions = {}): Promise<BinanceServer> {
    const s = new BinanceServer(options);
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(0, '127.0.0.1', () => resolve());
    });
    s.#server.unref();
    s.#port = (s.#server.address() as AddressInfo).port;
    return s;
  }

  get port(): number {
    return this.#port;
  }
  /** `http://127.0.0.1:<port>`: the origin for every ccxt REST URL (`rehostUrls`). */
  get restUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }
  /** `ws://127.0.0.1:<port>`: the origin for ccxt's websocket URLs (`/ws`, `/stream`, `/ws-api/v3`). */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  async close(): Promise<void> {
    clearInterval(this.#pingTimer);
    for (const c of this.#public) c.ws.terminate();
    for (const c of this.#users) c.ws.terminate();
    this.#wss.close();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- market control ------------------------------------------------------------------------

  /** Adds a market, or replaces its definition (a filter change the client has not reloaded yet). */
  listMarket(market: BinanceMarket): void {
    this.#markets.set(market.symbol, { ...market });
  }
  delistMarket(symbol: string): void {
    this.#markets.delete(symbol);
  }
  symbols(): string[] {
    return [...this.#markets.keys()];
  }
  /** An asset's balance as the server holds it. */
  balance(asset: string): { free: number; locked: number } {
    return { ...(this.#balances.get(asset) ?? { free: 0, locked: 0 }) };
  }
  setBalance(asset: string, free: number): void {
    this.#account(asset).free = free;
    this.#pushAccount([asset]);
  }

  /** Candles served by `/api/v3/klines` for `symbol` (rows of `interval`; longer intervals are aggregated). */
  setCandles(symbol: string, rows: readonly CandleRow[], interval = '1m'): void {
    if (!(interval in INTERVALS)) throw new Error(`setCandles: unknown interval ${interval}`);
    this.#candles.set(symbol, { interval, rows: [...rows].sort((a, b) => a[0] - b[0]) });
  }

  /**
   * A trade on the exchange: pushed on `<sym>@trade` and `<sym>@aggTrade`, kept for `/trades`,
   * `/klines` and `/ticker/24hr`, and matched against resting orders (see the class comment).
   * Returns the `trade` frame.
   */
  publishTrade(symbol: string, t: TradeInput = {}): Record<string, unknown> {
    const m = this.#market(symbol);
    const trade = this.#recordTrade(symbol, {
      id: t.id ?? this.#nextTradeId++,
      price: t.price ?? m.price,
      qty: t.qty ?? 0.01,
      time: t.ts ?? Date.now(),
      buyerIsMaker: t.buyerIsMaker ?? false,
    });
    const frame = this.#tradeFrame(symbol, trade);
    this.#broadcast(`${symbol.toLowerCase()}@trade`, frame);
    this.#broadcast(`${symbol.toLowerCase()}@aggTrade`, {
      e: 'aggTrade', E: frame['E'], s: symbol, a: trade.id, p: frame['p'], q: frame['q'], f: trade.id, l: trade.id, T: trade.time, m: trade.buyerIsMaker, M: true,
    });
    this.#matchTrade(symbol, trade);
    return frame;
  }

  /** Sets the top of book and pushes it on `<sym>@bookTicker`. Returns the frame. */
  publishBookTicker(symbol: string, b: { bidPrice: number; askPrice: number; bidQty?: number; askQty?: number }): Record<string, unknown> {
    this.#market(symbol);
    const book = { bidPrice: b.bidPrice, bidQty: b.bidQty ?? 1, askPrice: b.askPrice, askQty: b.askQty ?? 1 };
    this.#books.set(symbol, book);
    const frame = { u: this.#bookUpdateId++, s: symbol, b: f8(book.bidPrice), B: f8(book.bidQty), a: f8(book.askPrice), A: f8(book.askQty) };
    this.#broadcast(`${symbol.toLowerCase()}@bookTicker`, frame);
    return frame;
  }

  /** Pushes the 24 h statistics on `<sym>@ticker` (24hrTicker) and `<sym>@miniTicker`. Returns the ticker frame. */
  publishTicker(symbol: string, ts = Date.now()): Record<string, unknown> {
    const s = this.#stats(symbol, ts);
    const frame = {
      e: '24hrTicker', E: ts, s: symbol, p: s.priceChange, P: s.priceChangePercent, w: s.weightedAvgPrice, x: s.prevClosePrice, c: s.lastPrice, Q: s.lastQty,
      b: s.bidPrice, B: s.bidQty, a: s.askPrice, A: s.askQty, o: s.openPrice, h: s.highPrice, l: s.lowPrice, v: s.volume, q: s.quoteVolume,
      O: s.openTime, C: s.closeTime, F: s.firstId, L: s.lastId, n: s.count,
    };
    this.#broadcast(`${symbol.toLowerCase()}@ticker`, frame);
    this.#broadcast(`${symbol.toLowerCase()}@miniTicker`, { e: '24hrMiniTicker', E: ts, s: symbol, c: s.lastPrice, o: s.openPrice, h: s.highPrice, l: s.lowPrice, v: s.volume, q: s.quoteVolume });
    return frame;
  }

  /** Sends a raw payload to the subscribers of `stream` (wrapped for combined-stream clients). */
  publishRaw(stream: string, data: unknown): void {
    this.#broadcast(stream, data);
  }

  /**
   * Plays a recorded Binance capture (gzip or plain lines `<local_recv_ns> <combined-stream json>`, as in
   * shared/data/ws/binance-2024-08) to the subscribers of each frame's stream, in file order, `batch`
   * frames per event-loop turn. Lines without a `stream` (REST snapshots) are skipped. Trades also move
   * the market's last price and history; with `match` they fill resting orders like `publishTrade`.
   * Returns the frames played.
   */
  async replay(path: string, options: { batch?: number; limit?: number; streams?: readonly string[]; match?: boolean } = {}): Promise<number> {
    const batch = options.batch ?? 200;
    const limit = options.limit ?? Infinity;
    const only = options.streams ? new Set(options.streams) : undefined;
    const input = createReadStream(path);
    const lines = createInterface({ input: path.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
    let played = 0;
    try {
      for await (const line of lines) {
        if (played >= limit) break;
        const space = line.indexOf(' ');
        if (space < 0) continue;
        let msg: { stream?: unknown; data?: Record<string, unknown> };
        try {
          msg = JSON.parse(line.slice(space + 1)) as typeof msg;
        } catch {
          continue;
        }
        if (typeof msg.stream !== 'string' || msg.data === undefined) continue;
        if (only && !only.has(msg.stream)) continue;
        const data = msg.data;
        if (data['e'] === 'trade' && typeof data['s'] === 'string' && this.#markets.has(data['s'])) {
          const trade = this.#recordTrade(data['s'], { id: Number(data['t']), price: Number(data['p']), qty: Number(data['q']), time: Number(data['T']), buyerIsMaker: data['m'] === true });
          if (options.match) this.#matchTrade(data['s'], trade);
        }
        this.#broadcast(msg.stream, data);
        played++;
        if (played % batch === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      lines.close();
      input.destroy();
    }
    return played;
  }

  // ---- order control ------------------------------------------------------------------------

  /** Fills `qty` (default: all that remains) of an open order at its price (or `price`), as maker. */
  fillOrder(orderId: number | string, qty?: number, price?: number): void {
    const o = this.#orders.get(Number(orderId));
    if (!o || (o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED')) throw new Error(`fillOrder: order ${orderId} is not open`);
    const remaining = r8(o.origQty - o.executedQty);
    this.#fill(o, Math.min(qty ?? remaining, remaining), price ?? o.price, true);
  }

  /** An order as `GET /api/v3/order` would answer, plus its `fills` (what the server knows). */
  order(ref: { orderId?: number | string; clientOrderId?: string }): Record<string, unknown> | undefined {
    const o = ref.orderId !== undefined ? this.#orders.get(Number(ref.orderId)) : ref.clientOrderId !== undefined ? this.#byClientId.get(ref.clientOrderId) : undefined;
    return o && { ...this.#orderJson(o), fills: o.fills.map((f) => ({ ...f })) };
  }

  /** Every order the server holds, oldest first, fills included (copies). */
  allOrders(): BinanceOrderRecord[] {
    return [...this.#orders.values()].map((o) => ({
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      symbol: o.symbol,
      side: o.side,
      price: o.price,
      origQty: o.origQty,
      executedQty: o.executedQty,
      status: o.status,
      time: o.time,
      closedAt: o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' ? undefined : o.updateTime,
      fills: o.fills.map((f) => ({ id: f.id, price: f.price, qty: f.qty, commission: f.commission, commissionAsset: f.commissionAsset, time: f.time })),
    }));
  }

  /** Every asset's balance (free and locked), as the server holds them. */
  balances(): Record<string, { free: number; locked: number }> {
    return Object.fromEntries([...this.#balances].map(([a, b]) => [a, { ...b }]));
  }

  /** Cancels an open order as its owner would from elsewhere (the web page): the bot learns it from the exchange. */
  cancelOrder(orderId: number | string): void {
    const o = this.#orders.get(Number(orderId));
    if (!o || (o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED')) throw new Error(`cancelOrder: order ${orderId} is not open`);
    this.#finish(o, 'CANCELED', 'CANCELED');
  }

  // ---- faults --------------------------------------------------------------------------------

  /** Terminates every websocket (market streams, WebSocket API, listenKey streams) without a close frame. */
  dropConnections(): void {
    for (const c of this.#public) c.ws.terminate();
    for (const c of this.#users) c.ws.terminate();
  }

  /** While stalled, sockets stay open but no frame, answer, ping or pong is sent. */
  stall(on: boolean): void {
    this.#faults.stalled = on;
  }

  /** The next `count` websocket upgrades are refused with HTTP 503. */
  refuseConnections(count: number): void {
    this.#faults.refuseConnections(count);
  }

  /**
   * User-data frames of these event types (`executionReport`, `outboundAccountPosition`) are sent `ms`
   * after they are made, until called again with 0 (a balance push late behind the trade it reflects).
   */
  delayFrames(types: readonly string[], ms: number): void {
    this.#faults.delayFrames(types, ms);
  }

  /** The next `count` user-data frames of this event type (`executionReport`, `outboundAccountPosition`) are sent twice. */
  repeatFrames(type: string, count = 1): void {
    this.#faults.repeatFrames(type, count);
  }

  /** The next `count` REST requests (optionally only those on `path`, and with `method`) are answered with `status` (429, 418, 500, 503…). */
  failNext(status: number, count = 1, path?: string, method?: string): void {
    this.#faults.failNext(status, count, path, method);
  }

  /** The next `count` POST /api/v3/order are executed, then their connection is destroyed without an answer. */
  loseNextAcks(count = 1): void {
    this.#faults.loseNextAcks(count);
  }

  requestsTo(path: string, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && (method === undefined || r.method === method));
  }

  // ---- internals: market data ------------------------------------------------------------------

  #market(symbol: string): BinanceMarket {
    const m = this.#markets.get(symbol);
    if (!m) throw new BinanceError(400, -1121, 'Invalid symbol.');
    return m;
  }

  #account(asset: string): { free: number; locked: number } {
    let a = this.#balances.get(asset);
    if (!a) {
      a = { free: 0, locked: 0 };
      this.#balances.set(asset, a);
    }
    return a;
  }

  #recordTrade(symbol: string, trade: PublicTrade): PublicTrade {
    const m = this.#market(symbol);
    m.price = trade.price;
    const list = this.#trades.get(symbol) ?? [];
    list.push(trade);
    if (list.length > 100_000) list.splice(0, list.length - 100_000);
    this.#trades.set(symbol, list);
    if (trade.id >= this.#nextTradeId) this.#nextTradeId = trade.id + 1;
    return trade;
  }

  #tradeFrame(symbol: string, t: PublicTrade): Record<string, unknown> {
    return { e: 'trade', E: Math.max(t.time, Date.now()), s: symbol, t: t.id, p: f8(t.price), q: f8(t.qty), T: t.time, m: t.buyerIsMaker, M: true };
  }

  #top(symbol: string): { bidPrice: number; bidQty: number; askPrice: number; askQty: number } {
    const book = this.#books.get(symbol);
    if (book) return book;
    const m = this.#market(symbol);
    return { bidPrice: m.price, bidQty: 1, askPrice: r8(m.price + Number(m.tickSize)), askQty: 1 };
  }

  #depth(symbol: string, limit: number): { bids: [string, string][]; asks: [string, string][] } {
    const top = this.#top(symbol);
    const tick = Number(this.#market(symbol).tickSize);
    const n = Math.min(limit, 50);
    const bids: [string, string][] = [];
    const asks: [string, string][] = [];
    for (let i = 0; i < n; i++) {
      const bp = r8(top.bidPrice - tick * i);
      if (bp > 0) bids.push([f8(bp), f8(i === 0 ? top.bidQty : 1 + i)]);
      asks.push([f8(r8(top.askPrice + tick * i)), f8(i === 0 ? top.askQty : 1 + i)]);
    }
    return { bids, asks };
  }

  #stats(symbol: string, now: number): Record<string, string | number> {
    const m = this.#market(symbol);
    const trades = (this.#trades.get(symbol) ?? []).filter((t) => t.time > now - 86_400_000);
    const top = this.#top(symbol);
    const open = trades[0]?.price ?? m.price;
    const last = trades[trades.length - 1];
    const volume = trades.reduce((s, t) => s + t.qty, 0);
    const quote = trades.reduce((s, t) => s + t.qty * t.price, 0);
    return {
      symbol,
      priceChange: f8(m.price - open),
      priceChangePercent: ((100 * (m.price - open)) / open).toFixed(3),
      weightedAvgPrice: f8(volume > 0 ? quote / volume : m.price),
      prevClosePrice: f8(open),
      lastPrice: f8(m.price),
      lastQty: f8(last?.qty ?? 0),
      bidPrice: f8(top.bidPrice),
      bidQty: f8(top.bidQty),
      askPrice: f8(top.askPrice),
      askQty: f8(top.askQty),
      openPrice: f8(open),
      highPrice: f8(trades.reduce((h, t) => Math.max(h, t.price), trades.length ? -Infinity : m.price)),
      lowPrice: f8(trades.reduce((l, t) => Math.min(l, t.price), trades.length ? Infinity : m.price)),
      volume: f8(volume),
      quoteVolume: f8(quote),
      openTime: now - 86_400_000,
      closeTime: now,
      firstId: trades[0]?.id ?? -1,
      lastId: last?.id ?? -1,
      count: trades.length,
    };
  }

  /** Binance's klines rules: startTime / endTime bound the open time; only endTime → the last `limit`. */
  #klines(symbol: string, interval: string, q: Record<string, string>): unknown[] {
    const iv = INTERVALS[interval];
    if (iv === undefined) throw new BinanceError(400, -1120, 'Invalid interval.');
    const limit = Math.min(1000, Math.max(1, Number(q['limit'] ?? 500) || 500));
    const start = optionalNumber(q, 'startTime');
    const end = optionalNumber(q, 'endTime');
    const pick = <T>(rows: T[], time: (r: T) => number): T[] => {
      const inRange = rows.filter((r) => (start === undefined || time(r) >= start) && (end === undefined || time(r) <= end));
      return start !== undefined ? inRange.slice(0, limit) : inRange.slice(-limit);
    };
    const row = (t: number, o: number, h: number, l: number, c: number, v: number, quote: number, n: number, takerBase: number, takerQuote: number): unknown[] => [
      t, f8(o), f8(h), f8(l), f8(c), f8(v), t + iv - 1, f8(quote), n, f8(takerBase), f8(takerQuote), '0',
    ];
    const set = this.#candles.get(symbol);
    if (set) {
      const base = INTERVALS[set.interval] as number;
      if (iv % base !== 0) throw new BinanceError(400, -1120, 'Invalid interval.');
      const buckets = new Map<number, number[]>();
      for (const [t, o, h, l, c, v] of set.rows) {
        const b = Math.floor(t / iv) * iv;
        const cur = buckets.get(b);
        if (!cur) buckets.set(b, [b, o, h, l, c, v]);
        else {
          cur[2] = Math.max(cur[2] as number, h);
          cur[3] = Math.min(cur[3] as number, l);
          cur[4] = c;
          cur[5] = (cur[5] as number) + v;
        }
      }
      return pick([...buckets.values()], (r) => r[0] as number).map(([t, o, h, l, c, v]) => row(t as number, o as number, h as number, l as number, c as number, v as number, (v as number) * (c as number), 0, 0, 0));
    }
    const trades = this.#trades.get(symbol) ?? [];
    if (trades.length === 0) return [];
    const first = Math.floor((trades[0] as PublicTrade).time / iv) * iv;
    const now = Math.floor(Math.max(Date.now(), (trades[trades.length - 1] as PublicTrade).time) / iv) * iv;
    // the open times Binance would list: every interval from the first trade to now (empty ones at the previous close)
    let lo = start !== undefined ? Math.max(first, Math.ceil(start / iv) * iv) : first;
    let hi = end !== undefined ? Math.min(now, Math.floor(end / iv) * iv) : now;
    if (start !== undefined) hi = Math.min(hi, lo + (limit - 1) * iv);
    else lo = Math.max(lo, hi - (limit - 1) * iv);
    const out: unknown[] = [];
    let i = 0;
    let prevClose = (trades[0] as PublicTrade).price;
    while (i < trades.length && (trades[i] as PublicTrade).time < lo) prevClose = (trades[i++] as PublicTrade).price;
    for (let t = lo; t <= hi; t += iv) {
      let o = prevClose, h = prevClose, l = prevClose, v = 0, quote = 0, n = 0, tb = 0, tq = 0;
      while (i < trades.length && (trades[i] as PublicTrade).time < t + iv) {
        const tr = trades[i++] as PublicTrade;
        if (n === 0) o = h = l = tr.price;
        h = Math.max(h, tr.price);
        l = Math.min(l, tr.price);
        v += tr.qty;
        quote += tr.qty * tr.price;
        if (!tr.buyerIsMaker) {
          tb += tr.qty;
          tq += tr.qty * tr.price;
        }
        n++;
        prevClose = tr.price;
      }
      out.push(row(t, o, h, l, prevClose, v, quote, n, tb, tq));
    }
    return out;
  }

  #exchangeInfo(q: Record<string, string>): Record<string, unknown> {
    let list = [...this.#markets.values()];
    const wanted = q['symbol'] !== undefined ? [q['symbol']] : q['symbols'] !== undefined ? (JSON.parse(q['symbols']) as string[]) : undefined;
    if (wanted) list = wanted.map((s) => this.#market(s));
    return {
      timezone: 'UTC',
      serverTime: Date.now(),
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: WEIGHT_LIMIT },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: ORDER_LIMIT_10S },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200_000 },
        { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61_000 },
      ],
      exchangeFilters: [],
      symbols: list.map((m) => ({
        symbol: m.symbol,
        status: m.status ?? 'TRADING',
        baseAsset: m.baseAsset,
        baseAssetPrecision: 8,
        quoteAsset: m.quoteAsset,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        baseCommissionPrecision: 8,
        quoteCommissionPrecision: 8,
        orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
        icebergAllowed: true,
        ocoAllowed: true,
        otoAllowed: true,
        quoteOrderQtyMarketAllowed: true,
        allowTrailingStop: true,
        cancelReplaceAllowed: true,
        isSpotTradingAllowed: true,
        isMarginTradingAllowed: false,
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: m.minPrice ?? m.tickSize, maxPrice: m.maxPrice ?? '1000000.00000000', tickSize: m.tickSize },
          { filterType: 'LOT_SIZE', minQty: m.minQty ?? m.stepSize, maxQty: m.maxQty ?? '9000000.00000000', stepSize: m.stepSize },
          (m.notionalFilter ?? 'NOTIONAL') === 'NOTIONAL'
            ? { filterType: 'NOTIONAL', minNotional: m.minNotional, applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 }
            : { filterType: 'MIN_NOTIONAL', minNotional: m.minNotional, applyToMarket: true, avgPriceMins: 5 },
          { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
        ],
        permissions: [],
        permissionSets: [['SPOT']],
        defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
        allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
      })),
    };
  }

  #symbolList(q: Record<string, string>): string[] | undefined {
    if (q['symbol'] !== undefined) return [this.#market(q['symbol']).symbol];
    if (q['symbols'] !== undefined) {
      let list: unknown;
      try {
        list = JSON.parse(q['symbols']);
      } catch {
        throw new BinanceError(400, -1100, "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.");
      }
      return (list as string[]).map((s) => this.#market(s).symbol);
    }
    return undefined;
  }

  // ---- internals: orders -----------------------------------------------------------------------

  #orderJson(o: ServerOrder): Record<string, unknown> {
    return {
      symbol: o.symbol,
      orderId: o.orderId,
      orderListId: -1,
      clientOrderId: o.clientOrderId,
      price: f8(o.price),
      origQty: f8(o.origQty),
      executedQty: f8(o.executedQty),
      cummulativeQuoteQty: f8(o.cumQuote),
      status: o.status,
      timeInForce: o.timeInForce,
      type: o.type,
      side: o.side,
      stopPrice: '0.00000000',
      icebergQty: '0.00000000',
      time: o.time,
      updateTime: o.updateTime,
      isWorking: true,
      workingTime: o.time,
      origQuoteOrderQty: '0.00000000',
      selfTradePreventionMode: 'EXPIRE_MAKER',
    };
  }

  #createOrder(p: Record<string, string>): { order: ServerOrder; takerFills: ServerFill[] } {
    const symbol = p['symbol'];
    if (!symbol) throw mandatory('symbol');
    const m = this.#market(symbol);
    const side = p['side'];
    if (!side) throw mandatory('side');
    if (side !== 'BUY' && side !== 'SELL') throw new BinanceError(400, -1100, "Illegal characters found in parameter 'side'; legal range is 'BUY, SELL'.");
    const type = p['type'];
    if (!type) throw mandatory('type');
    if (type !== 'LIMIT' && type !== 'MARKET') throw new BinanceError(400, -1116, 'Invalid orderType.');
    if ((m.status ?? 'TRADING') !== 'TRADING') throw new BinanceError(400, -1013, 'Market is closed.');
    const clientOrderId = p['newClientOrderId'] ?? `${uuid22()}`;
    if (!/^[.A-Za-z0-9_-]{1,36}$/.test(clientOrderId)) throw new BinanceError(400, -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
    const existing = this.#byClientId.get(clientOrderId);
    if (existing && (existing.status === 'NEW' || existing.status === 'PARTIALLY_FILLED')) throw new BinanceError(400, -2010, 'Duplicate order sent.');
    if (p['quantity'] === undefined) throw type === 'MARKET' && p['quoteOrderQty'] !== undefined ? new BinanceError(400, -1106, "Parameter 'quoteOrderQty' sent when not required.") : mandatory('quantity');
    const qty = Number(p['quantity']);
    if (!(qty > 0)) throw new BinanceError(400, -1013, 'Invalid quantity.');
    let timeInForce = 'GTC';
    let price = 0;
    const top = this.#top(symbol);
    if (type === 'LIMIT') {
      if (p['timeInForce'] === undefined) throw mandatory('timeInForce');
      timeInForce = p['timeInForce'];
      if (!['GTC', 'IOC', 'FOK'].includes(timeInForce)) throw new BinanceError(400, -1115, 'Invalid timeInForce.');
      if (p['price'] === undefined) throw mandatory('price');
      price = Number(p['price']);
      if (!(price > 0)) throw new BinanceError(400, -1013, 'Invalid price.');
      const minPrice = Number(m.minPrice ?? m.tickSize);
      const maxPrice = Number(m.maxPrice ?? 1_000_000);
      if (price < minPrice || price > maxPrice || !onStep(price, Number(m.tickSize))) throw new BinanceError(400, -1013, 'Filter failure: PRICE_FILTER');
    } else {
      if (p['price'] !== undefined) throw new BinanceError(400, -1106, "Parameter 'price' sent when not required.");
      price = side === 'BUY' ? top.askPrice : top.bidPrice;
    }
    if (qty < Number(m.minQty ?? m.stepSize) || qty > Number(m.maxQty ?? 9_000_000) || !onStep(qty, Number(m.stepSize))) throw new BinanceError(400, -1013, 'Filter failure: LOT_SIZE');
    if (price * qty < Number(m.minNotional) - 1e-12) throw new BinanceError(400, -1013, `Filter failure: ${m.notionalFilter ?? 'NOTIONAL'}`);
    const lockAsset = side === 'BUY' ? m.quoteAsset : m.baseAsset;
    const lock = side === 'BUY' ? r8(price * qty) : qty;
    const acct = this.#account(lockAsset);
    if (acct.free + 1e-9 < lock) throw new BinanceError(400, -2010, 'Account has insufficient balance for requested action.');
    if (this.#enforce) {
      const now = Date.now();
      this.#orderCount = this.#orderCount.filter((t) => t > now - 10_000);
      if (this.#orderCount.length >= ORDER_LIMIT_10S) throw new BinanceError(429, -1015, `Too many new orders; current limit is ${ORDER_LIMIT_10S} orders per 10 SECOND.`);
      this.#orderCount.push(now);
    }
    acct.free = r8(acct.free - lock);
    acct.locked = r8(acct.locked + lock);
    const now = Date.now();
    const o: ServerOrder = {
      orderId: this.#nextOrderId++,
      clientOrderId,
      symbol,
      side,
      type,
      timeInForce,
      price: type === 'MARKET' ? 0 : price,
      origQty: qty,
      executedQty: 0,
      cumQuote: 0,
      status: 'NEW',
      time: now,
      updateTime: now,
      locked: lock,
      fills: [],
    };
    this.#orders.set(o.orderId, o);
    this.#byClientId.set(clientOrderId, o);
    this.ordersCreated++;
    this.#pushExecution(o, 'NEW');
    this.#pushAccount([lockAsset]);
    const marketable = type === 'MARKET' || (side === 'BUY' ? price >= top.askPrice : price <= top.bidPrice);
    const before = o.fills.length;
    if (marketable) {
      const fillPrice = side === 'BUY' ? top.askPrice : top.bidPrice;
      if (type === 'MARKET') o.locked = side === 'BUY' ? r8(fillPrice * qty) : qty;
      this.#fill(o, qty, fillPrice, false);
    } else if (timeInForce !== 'GTC') {
      this.#finish(o, 'EXPIRED', 'EXPIRED');
    }
    return { order: o, takerFills: o.fills.slice(before) };
  }

  /** The commission of a fill worth `quoteQty` when `payFeesIn` pays it (the account holds enough), else undefined. */
  #feeInOtherAsset(m: BinanceMarket, quoteQty: number): { readonly asset: string; readonly commission: number } | undefined {
    const pay = this.#payFeesIn;
    if (!pay || pay.asset === m.baseAsset || pay.asset === m.quoteAsset) return undefined;
    const price = this.#market(`${pay.asset}${m.quoteAsset}`).price;
    const commission = r8((quoteQty * this.#feeRate * (1 - pay.discount)) / price);
    return this.#account(pay.asset).free >= commission ? { asset: pay.asset, commission } : undefined;
  }

  /** Executes `qty` of `o` at `price`: balances, commission, the order's state, its user-stream events. */
  #fill(o: ServerOrder, qty: number, price: number, isMaker: boolean): void {
    const m = this.#market(o.symbol);
    const q = r8(qty);
    if (!(q > 0)) return;
    const quote = this.#account(m.quoteAsset);
    const base = this.#account(m.baseAsset);
    const quoteQty = r8(price * q);
    let commission: number;
    let commissionAsset: string;
    const paid = this.#feeInOtherAsset(m, quoteQty);
    if (o.side === 'BUY') {
      // the lock was made at the order's price: release that share, refund any price improvement
      const release = o.type === 'MARKET' ? quoteQty : Math.min(o.locked, r8(o.price * q));
      o.locked = r8(o.locked - release);
      quote.locked = r8(quote.locked - release);
      quote.free = r8(quote.free + release - quoteQty);
      commission = paid?.commission ?? r8(q * this.#feeRate);
      commissionAsset = paid?.asset ?? m.baseAsset;
      base.free = r8(base.free + q - (paid ? 0 : commission));
    } else {
      o.locked = r8(o.locked - q);
      base.locked = r8(base.locked - q);
      commission = paid?.commission ?? r8(quoteQty * this.#feeRate);
      commissionAsset = paid?.asset ?? m.quoteAsset;
      quote.free = r8(quote.free + quoteQty - (paid ? 0 : commission));
    }
    if (paid) this.#account(paid.asset).free = r8(this.#account(paid.asset).free - paid.commission);
    const now = Date.now();
    const fill: ServerFill = { id: this.#nextFillId++, price, qty: q, quoteQty, commission, commissionAsset, time: now, isMaker };
    o.fills.push(fill);
    o.executedQty = r8(o.executedQty + q);
    o.cumQuote = r8(o.cumQuote + quoteQty);
    o.updateTime = now;
    o.status = o.executedQty >= o.origQty - 1e-12 ? 'FILLED' : 'PARTIALLY_FILLED';
    if (o.status === 'FILLED') this.#release(o);
    this.#pushExecution(o, 'TRADE', fill);
    this.#pushAccount([m.baseAsset, m.quoteAsset, ...(paid ? [paid.asset] : [])]);
    if (o.status !== 'FILLED' && o.timeInForce !== 'GTC') this.#finish(o, 'EXPIRED', 'EXPIRED');
  }

  /** Gives back whatever an order still holds locked. */
  #release(o: ServerOrder): void {
    if (o.locked <= 0) return;
    const m = this.#market(o.symbol);
    const a = this.#account(o.side === 'BUY' ? m.quoteAsset : m.baseAsset);
    a.locked = r8(a.locked - o.locked);
    a.free = r8(a.free + o.locked);
    o.locked = 0;
  }

  #finish(o: ServerOrder, status: 'CANCELED' | 'EXPIRED', execution: string, cancelClientId?: string): void {
    const m = this.#market(o.symbol);
    this.#release(o);
    o.status = status;
    o.updateTime = Date.now();
    this.#pushExecution(o, execution, undefined, cancelClientId);
    this.#pushAccount([o.side === 'BUY' ? m.quoteAsset : m.baseAsset]);
  }

  #matchTrade(symbol: string, trade: PublicTrade): void {
    const m = this.#market(symbol);
    const step = Number(m.stepSize);
    const open = [...this.#orders.values()].filter(
      (o) => o.symbol === symbol && o.type === 'LIMIT' && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') && (o.side === 'BUY' ? trade.price < o.price : trade.price > o.price),
    );
    // price priority (best for the counterparty first), then time
    open.sort((a, b) => (a.side === b.side ? (a.side === 'BUY' ? b.price - a.price : a.price - b.price) || a.orderId - b.orderId : a.orderId - b.orderId));
    let available = { BUY: trade.qty, SELL: trade.qty };
    for (const o of open) {
      const q = floorToStep(Math.min(o.origQty - o.executedQty, available[o.side]), step);
      if (q <= 0) continue;
      available = { ...available, [o.side]: r8(available[o.side] - q) };
      this.#fill(o, q, o.price, true);
    }
  }

  #findOrder(q: Record<string, string>, unknown: BinanceError): ServerOrder {
    const symbol = q['symbol'];
    if (!symbol) throw mandatory('symbol');
    this.#market(symbol);
    if (q['orderId'] === undefined && q['origClientOrderId'] === undefined) throw new BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
    const o = q['orderId'] !== undefined ? this.#orders.get(Number(q['orderId'])) : this.#byClientId.get(q['origClientOrderId'] as string);
    if (!o || o.symbol !== symbol) throw unknown;
    if (q['orderId'] !== undefined && q['origClientOrderId'] !== undefined && o.clientOrderId !== q['origClientOrderId']) throw unknown;
    return o;
  }

  #tradeJson(o: ServerOrder, f: ServerFill): Record<string, unknown> {
    return {
      symbol: o.symbol,
      id: f.id,
      orderId: o.orderId,
      orderListId: -1,
      price: f8(f.price),
      qty: f8(f.qty),
      quoteQty: f8(f.quoteQty),
      commission: f8(f.commission),
      commissionAsset: f.commissionAsset,
      time: f.time,
      isBuyer: o.side === 'BUY',
      isMaker: f.isMaker,
      isBestMatch: true,
    };
  }

  // ---- internals: REST -------------------------------------------------------------------------

  /** Request weight of an endpoint, as Binance counts it. */
  #weightOf(method: string, path: string, q: Record<string, string>): number {
    const all = q['symbol'] === undefined;
    const many = q['symbols'] !== undefined;
    switch (`${method} ${path}`) {
      case 'GET /api/v3/exchangeInfo':
        return 20;
      case 'GET /api/v3/depth': {
        const limit = Number(q['limit'] ?? 100);
        return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
      }
      case 'GET /api/v3/trades':
        return 25;
      case 'GET /api/v3/ticker/24hr':
        return all ? (many ? 40 : 80) : 2;
      case 'GET /api/v3/ticker/price':
      case 'GET /api/v3/ticker/bookTicker':
        return all ? 4 : 2;
      case 'GET /api/v3/account':
      case 'GET /api/v3/allOrders':
      case 'GET /api/v3/myTrades':
        return 20;
      case 'GET /api/v3/order':
        return 4;
      case 'GET /api/v3/openOrders':
        return all ? 80 : 6;
      case 'POST /api/v3/userDataStream':
      case 'PUT /api/v3/userDataStream':
      case 'DELETE /api/v3/userDataStream':
        return 2;
      default:
        return 1;
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const qIndex = rawUrl.indexOf('?');
    const path = qIndex < 0 ? rawUrl : rawUrl.slice(0, qIndex);
    const rawQuery = qIndex < 0 ? '' : rawUrl.slice(qIndex + 1);
    const method = req.method ?? 'GET';
    const query: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(rawQuery)) query[k] = v;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const body: Record<string, string> | undefined = rawBody.length > 0 ? Object.fromEntries(new URLSearchParams(rawBody)) : undefined;
    const params: Record<string, string> = { ...query, ...(body ?? {}) };

    const minute = Math.floor(Date.now() / 60_000);
    if (this.#weight.minute !== minute) this.#weight = { minute, used: 0 };
    const record = (status: number): void => {
      this.requests.push({ method, path, query, body, status, ts: Date.now() });
    };
    const send = (status: number, payload: unknown, extra: Record<string, string> = {}): void => {
      record(status);
      res.writeHead(status, {
        'content-type': 'application/json;charset=UTF-8',
        'x-mbx-used-weight': String(this.#weight.used),
        'x-mbx-used-weight-1m': String(this.#weight.used),
        ...(path === '/api/v3/order' && method === 'POST' ? { 'x-mbx-order-count-10s': String(this.#orderCount.length), 'x-mbx-order-count-1d': String(this.ordersCreated) } : {}),
        ...extra,
      });
      res.end(JSON.stringify(payload));
    };
    const secondsToNextMinute = (): number => Math.max(1, Math.ceil(((minute + 1) * 60_000 - Date.now()) / 1000));

    // injected faults first
    const status = this.#faults.takeAnswer(path, method);
    if (status !== undefined) {
      if (status === 429) {
        send(429, { code: -1003, msg: `Too many requests; current limit of IP(127.0.0.1) is ${WEIGHT_LIMIT} requests per minute. Please use WebSocket Streams for live updates to avoid polling the API.` }, { 'retry-after': String(secondsToNextMinute()) });
      } else if (status === 418) {
        const until = Date.now() + 120_000;
        send(418, { code: -1003, msg: `Way too many requests; IP(127.0.0.1) banned until ${until}. Please use WebSocket Streams for live updates to avoid bans.` }, { 'retry-after': '120' });
      } else if (status === 503) {
        send(503, { code: -1008, msg: 'Server is currently overloaded with other requests. Please try again in a few minutes.' });
      } else {
        send(status, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' });
      }
      return;
    }
    this.#weight.used += this.#weightOf(method, path, params);
    if (this.#enforce && this.#weight.used > WEIGHT_LIMIT) {
      send(429, { code: -1003, msg: `Too many requests; current limit of IP(127.0.0.1) is ${WEIGHT_LIMIT} requests per minute. Please use WebSocket Streams for live updates to avoid polling the API.` }, { 'retry-after': String(secondsToNextMinute()) });
      return;
    }
    try {
      if (path === '/api/v3/userDataStream') {
        this.#checkApiKey(req);
      } else if (SIGNED.has(`${method} ${path}`)) {
        this.#checkApiKey(req);
        this.#checkSignature(rawQuery, rawBody, params);
      }
      if (method === 'POST' && path === '/api/v3/order' && this.#faults.takeLostAck()) {
        this.#createOrder(params);
        record(0);
        req.socket.destroy();
        return;
      }
      send(200, this.#route(method, path, params));
    } catch (e) {
      if (e instanceof BinanceError) send(e.status, { code: e.code, msg: e.message }, e.status === 429 ? { 'retry-after': '10' } : {});
      else send(500, { code: -1000, msg: `An unknown error occurred while processing the request. ${String(e)}` });
    }
  }

  #checkApiKey(req: IncomingMessage): void {
    const key = req.headers['x-mbx-apikey'];
    if (typeof key !== 'string' || !/^[A-Za-z0-9]{64}$/.test(key)) throw new BinanceError(401, -2014, 'API-key format invalid.');
    if (key !== this.apiKey) throw new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.');
  }

  /** Binance: HMAC-SHA256(secret, query string + request body), `signature` itself left out; then the time window. */
  #checkSignature(rawQuery: string, rawBody: string, params: Record<string, string>): void {
    const strip = (raw: string): { rest: string; signature: string | undefined } => {
      let signature: string | undefined;
      const rest = raw
        .split('&')
        .filter((part) => {
          if (part.startsWith('signature=')) {
            signature = decodeURIComponent(part.slice('signature='.length));
            return false;
          }
          return part.length > 0;
        })
        .join('&');
      return { rest, signature };
    };
    const q = strip(rawQuery);
    const b = strip(rawBody);
    const signature = q.signature ?? b.signature;
    if (signature === undefined) throw mandatory('signature');
    const payload = q.rest + b.rest;
    const expected = createHmac('sha256', this.secret).update(payload).digest();
    const given = Buffer.from(/^[0-9a-fA-F]{64}$/.test(signature) ? signature : '', 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new BinanceError(400, -1022, 'Signature for this request is not valid.');
    this.#checkTime(params['timestamp'], params['recvWindow']);
  }

  #checkTime(timestampText: string | undefined, recvWindowText: string | undefined): void {
    if (timestampText === undefined || !/^\d+$/.test(timestampText)) throw mandatory('timestamp');
    const recvWindow = recvWindowText === undefined ? 5_000 : Number(recvWindowText);
    if (!(recvWindow > 0) || recvWindow > 60_000) throw new BinanceError(400, -1131, 'recvWindow must be less than 60000');
    const now = Date.now();
    const timestamp = Number(timestampText);
    if (timestamp > now + 1_000) throw new BinanceError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
    if (now - timestamp > recvWindow) throw new BinanceError(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
  }

  #route(method: string, path: string, q: Record<string, string>): unknown {
    switch (`${method} ${path}`) {
      case 'GET /api/v3/ping':
        return {};
      case 'GET /api/v3/time':
        return { serverTime: Date.now() };
      case 'GET /api/v3/exchangeInfo':
        return this.#exchangeInfo(q);
      case 'GET /api/v3/ticker/price': {
        const list = this.#symbolList(q);
        const one = (s: string): unknown => ({ symbol: s, price: f8(this.#market(s).price) });
        return q['symbol'] !== undefined ? one(q['symbol']) : (list ?? this.symbols()).map(one);
      }
      case 'GET /api/v3/ticker/24hr': {
        const list = this.#symbolList(q);
        const now = Date.now();
        return q['symbol'] !== undefined ? this.#stats(q['symbol'], now) : (list ?? this.symbols()).map((s) => this.#stats(s, now));
      }
      case 'GET /api/v3/ticker/bookTicker': {
        const list = this.#symbolList(q);
        const one = (s: string): unknown => {
          const t = this.#top(s);
          return { symbol: s, bidPrice: f8(t.bidPrice), bidQty: f8(t.bidQty), askPrice: f8(t.askPrice), askQty: f8(t.askQty) };
        };
        return q['symbol'] !== undefined ? one(q['symbol']) : (list ?? this.symbols()).map(one);
      }
      case 'GET /api/v3/depth': {
        if (!q['symbol']) throw mandatory('symbol');
        this.#market(q['symbol']);
        const limit = Math.min(5000, Number(q['limit'] ?? 100) || 100);
        return { lastUpdateId: this.#bookUpdateId, ...this.#depth(q['symbol'], limit) };
      }
      case 'GET /api/v3/trades': {
        if (!q['symbol']) throw mandatory('symbol');
        this.#market(q['symbol']);
        const limit = Math.min(1000, Number(q['limit'] ?? 500) || 500);
        return (this.#trades.get(q['symbol']) ?? []).slice(-limit).map((t) => ({ id: t.id, price: f8(t.price), qty: f8(t.qty), quoteQty: f8(t.price * t.qty), time: t.time, isBuyerMaker: t.buyerIsMaker, isBestMatch: true }));
      }
      case 'GET /api/v3/klines': {
        if (!q['symbol']) throw mandatory('symbol');
        if (!q['interval']) throw mandatory('interval');
        this.#market(q['symbol']);
        return this.#klines(q['symbol'], q['interval'], q);
      }
      case 'GET /api/v3/account': {
        const bps = Math.round(this.#feeRate * 10_000);
        const omitZero = q['omitZeroBalances'] === 'true';
        return {
          makerCommission: bps,
          takerCommission: bps,
          buyerCommission: 0,
          sellerCommission: 0,
          commissionRates: { maker: f8(this.#feeRate), taker: f8(this.#feeRate), buyer: '0.00000000', seller: '0.00000000' },
          canTrade: true,
          canWithdraw: true,
          canDeposit: true,
          brokered: false,
          requireSelfTradePrevention: false,
          preventSor: false,
          updateTime: Date.now(),
          accountType: 'SPOT',
          balances: [...this.#balances.entries()].filter(([, a]) => !omitZero || a.free + a.locked > 0).map(([asset, a]) => ({ asset, free: f8(a.free), locked: f8(a.locked) })),
          permissions: ['SPOT'],
          uid: 354937868,
        };
      }
      case 'POST /api/v3/order': {
        const { order, takerFills } = this.#createOrder(q);
        const respType = q['newOrderRespType'] ?? 'FULL';
        const ack = { symbol: order.symbol, orderId: order.orderId, orderListId: -1, clientOrderId: order.clientOrderId, transactTime: order.time };
        if (respType === 'ACK') return ack;
        const { stopPrice: _s, icebergQty: _i, time: _t, updateTime: _u, isWorking: _w, ...rest } = this.#orderJson(order);
        const result = { ...ack, ...rest, workingTime: order.time };
        if (respType === 'RESULT') return result;
        return { ...result, fills: takerFills.map((f) => ({ price: f8(f.price), qty: f8(f.qty), commission: f8(f.commission), commissionAsset: f.commissionAsset, tradeId: f.id })) };
      }
      case 'GET /api/v3/order':
        return this.#orderJson(this.#findOrder(q, new BinanceError(400, -2013, 'Order does not exist.')));
      case 'DELETE /api/v3/order': {
        const o = this.#findOrder(q, new BinanceError(400, -2011, 'Unknown order sent.'));
        if (o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED') throw new BinanceError(400, -2011, 'Unknown order sent.');
        const cancelId = q['newClientOrderId'] ?? uuid22();
        this.#finish(o, 'CANCELED', 'CANCELED', cancelId);
        const { stopPrice: _s, icebergQty: _i, time: _t, updateTime: _u, isWorking: _w, workingTime: _wt, clientOrderId: _c, ...rest } = this.#orderJson(o);
        return { symbol: o.symbol, origClientOrderId: o.clientOrderId, orderId: o.orderId, orderListId: -1, clientOrderId: cancelId, transactTime: o.updateTime, ...rest };
      }
      case 'GET /api/v3/openOrders': {
        if (q['symbol'] !== undefined) this.#market(q['symbol']);
        return [...this.#orders.values()].filter((o) => (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') && (q['symbol'] === undefined || o.symbol === q['symbol'])).map((o) => this.#orderJson(o));
      }
      case 'GET /api/v3/allOrders': {
        if (!q['symbol']) throw mandatory('symbol');
        this.#market(q['symbol']);
        const limit = Math.min(1000, Number(q['limit'] ?? 500) || 500);
        const from = optionalNumber(q, 'orderId');
        const start = optionalNumber(q, 'startTime');
        const end = optionalNumber(q, 'endTime');
        const list = [...this.#orders.values()].filter((o) => o.symbol === q['symbol'] && (from === undefined || o.orderId >= from) && (start === undefined || o.time >= start) && (end === undefined || o.time <= end));
        return (from !== undefined || start !== undefined ? list.slice(0, limit) : list.slice(-limit)).map((o) => this.#orderJson(o));
      }
      case 'GET /api/v3/myTrades': {
        if (!q['symbol']) throw mandatory('symbol');
        this.#market(q['symbol']);
        const limit = Math.min(1000, Number(q['limit'] ?? 500) || 500);
        const orderId = optionalNumber(q, 'orderId');
        const fromId = optionalNumber(q, 'fromId');
        const start = optionalNumber(q, 'startTime');
        const end = optionalNumber(q, 'endTime');
        const rows = [...this.#orders.values()]
          .filter((o) => o.symbol === q['symbol'] && (orderId === undefined || o.orderId === orderId))
          .flatMap((o) => o.fills.map((f) => ({ o, f })))
          .filter(({ f }) => (fromId === undefined || f.id >= fromId) && (start === undefined || f.time >= start) && (end === undefined || f.time <= end))
          .sort((a, b) => a.f.id - b.f.id);
        return (fromId !== undefined || start !== undefined ? rows.slice(0, limit) : rows.slice(-limit)).map(({ o, f }) => this.#tradeJson(o, f));
      }
      case 'POST /api/v3/userDataStream': {
        const listenKey = randomBytes(30).toString('base64url').slice(0, 60);
        this.#listenKeys.add(listenKey);
        return { listenKey };
      }
      case 'PUT /api/v3/userDataStream':
      case 'DELETE /api/v3/userDataStream': {
        const key = q['listenKey'];
        if (!key) throw mandatory('listenKey');
        if (!this.#listenKeys.has(key)) throw new BinanceError(400, -1125, 'This listenKey does not exist.');
        if (method === 'DELETE') this.#listenKeys.delete(key);
        return {};
      }
      default:
        throw new BinanceError(404, -1, `${method} ${path} is not served by the local Binance server`);
    }
  }

  // ---- internals: websockets -------------------------------------------------------------------

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (this.#faults.takeRefusal()) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    if (path === '/ws-api/v3') {
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onWsApi(ws));
      return;
    }
    if (path === '/ws' || path.startsWith('/ws/')) {
      const name = path.slice('/ws/'.length);
      if (path.startsWith('/ws/') && this.#listenKeys.has(name)) {
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onUser(ws, undefined));
        return;
      }
      const streams = path.startsWith('/ws/') && name.includes('@') ? [name] : [];
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onPublic(ws, false, streams));
      return;
    }
    if (path === '/stream') {
      const streams = (url.searchParams.get('streams') ?? '').split('/').filter((s) => s.length > 0);
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onPublic(ws, true, streams));
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  }

  #heartbeat(ws: WebSocket): void {
    ws.on('ping', (data) => {
      if (!this.#faults.stalled) ws.pong(data);
    });
  }

  #onPublic(ws: WebSocket, combined: boolean, streams: string[]): void {
    this.publicConnections++;
    const client: PublicClient = { ws, combined, streams: new Set(streams) };
    this.#public.add(client);
    this.#heartbeat(ws);
    ws.on('close', () => this.#public.delete(client));
    ws.on('error', () => this.#public.delete(client));
    ws.on('message', (data) => {
      if (this.#faults.stalled) return;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        ws.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } }));
        return;
      }
      const id = msg['id'] ?? null;
      const params = msg['params'];
      switch (msg['method']) {
        case 'SUBSCRIBE':
        case 'UNSUBSCRIBE': {
          this.subscriptions.push(msg);
          if (!Array.isArray(params) || !params.every((p) => typeof p === 'string')) {
            ws.send(JSON.stringify({ error: { code: 2, msg: "Invalid request: property name must be a string" }, id }));
            return;
          }
          for (const p of params as string[]) {
            if (msg['method'] === 'SUBSCRIBE') client.streams.add(p);
            else client.streams.delete(p);
          }
          ws.send(JSON.stringify({ result: null, id }));
          return;
        }
        case 'LIST_SUBSCRIPTIONS':
          ws.send(JSON.stringify({ result: [...client.streams], id }));
          return;
        case 'SET_PROPERTY':
        case 'GET_PROPERTY':
          ws.send(JSON.stringify({ result: msg['method'] === 'GET_PROPERTY' ? false : null, id }));
          return;
        default:
          ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: unknown variant `' + String(msg['method']) + '`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`' }, id }));
      }
    });
  }

  #broadcast(stream: string, data: unknown): void {
    if (this.#faults.stalled) return;
    let raw: string | undefined;
    let wrapped: string | undefined;
    for (const c of this.#public) {
      if (!c.streams.has(stream) || c.ws.readyState !== WebSocket.OPEN) continue;
      if (c.combined) c.ws.send((wrapped ??= JSON.stringify({ stream, data })));
      else c.ws.send((raw ??= JSON.stringify(data)));
    }
  }

  #onUser(ws: WebSocket, subscriptions: Set<number> | undefined): UserClient {
    this.privateConnections++;
    const client: UserClient = { ws, subscriptions };
    this.#users.add(client);
    this.#heartbeat(ws);
    ws.on('close', () => this.#users.delete(client));
    ws.on('error', () => this.#users.delete(client));
    return client;
  }

  #onWsApi(ws: WebSocket): void {
    const client = this.#onUser(ws, new Set());
    const rateLimits = (): unknown[] => [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: WEIGHT_LIMIT, count: this.#weight.used }];
    ws.on('message', (data) => {
      if (this.#faults.stalled) return;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        ws.send(JSON.stringify({ id: null, status: 400, error: { code: -1000, msg: 'Malformed request.' } }));
        return;
      }
      this.wsApiRequests.push(msg);
      const id = msg['id'] ?? null;
      const answer = (result: unknown): void => ws.send(JSON.stringify({ id, status: 200, result, rateLimits: rateLimits() }));
      const fail = (e: BinanceError): void => ws.send(JSON.stringify({ id, status: e.status, error: { code: e.code, msg: e.message }, rateLimits: rateLimits() }));
      const params = (msg['params'] ?? {}) as Record<string, unknown>;
      try {
        switch (msg['method']) {
          case 'ping':
            answer({});
            return;
          case 'time':
            answer({ serverTime: Date.now() });
            return;
          case 'userDataStream.subscribe.signature': {
            this.#checkWsSignature(params);
            const subscriptionId = this.#nextSubscriptionId++;
            client.subscriptions?.add(subscriptionId);
            answer({ subscriptionId });
            return;
          }
          case 'userDataStream.unsubscribe': {
            const sid = params['subscriptionId'];
            if (sid === undefined) client.subscriptions?.clear();
            else client.subscriptions?.delete(Number(sid));
            answer({});
            return;
          }
          default:
            throw new BinanceError(400, -1020, `Unsupported operation: ${String(msg['method'])} (not served by the local Binance server).`);
        }
      } catch (e) {
        fail(e instanceof BinanceError ? e : new BinanceError(500, -1000, String(e)));
      }
    });
  }

  /** WebSocket API signature: HMAC-SHA256 of every param but `signature`, sorted by name, `k=v` joined with `&`. */
  #checkWsSignature(params: Record<string, unknown>): void {
    const key = params['apiKey'];
    if (typeof key !== 'string' || !/^[A-Za-z0-9]{64}$/.test(key)) throw new BinanceError(401, -2014, 'API-key format invalid.');
    if (key !== this.apiKey) throw new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    const signature = params['signature'];
    if (typeof signature !== 'string') throw mandatory('signature');
    const payload = Object.keys(params)
      .filter((k) => k !== 'signature')
      .sort()
      .map((k) => `${k}=${String(params[k])}`)
      .join('&');
    const expected = createHmac('sha256', this.secret).update(payload).digest('hex');
    if (expected !== signature.toLowerCase()) throw new BinanceError(400, -1022, 'Signature for this request is not valid.');
    this.#checkTime(params['timestamp'] === undefined ? undefined : String(params['timestamp']), params['recvWindow'] === undefined ? undefined : String(params['recvWindow']));
  }

  #pushUser(event: Record<string, unknown>): void {
    if (this.#faults.stalled) return;
    const times = this.#faults.takeRepeat(String(event['e'])) ? 2 : 1;
    const send = (): void => {
      for (let k = 0; k < times; k++) {
        for (const c of this.#users) {
          if (c.ws.readyState !== WebSocket.OPEN) continue;
          if (c.subscriptions === undefined) c.ws.send(JSON.stringify(event));
          else for (const subscriptionId of c.subscriptions) c.ws.send(JSON.stringify({ subscriptionId, event }));
        }
      }
    };
    const delay = this.#faults.frameDelay(String(event['e']));
    if (delay > 0) setTimeout(send, delay).unref();
    else send();
  }

  #pushExecution(o: ServerOrder, execution: string, fill?: ServerFill, cancelClientId?: string): void {
    const now = Date.now();
    this.#pushUser({
      e: 'executionReport',
      E: now,
      s: o.symbol,
      c: cancelClientId ?? o.clientOrderId,
      S: o.side,
      o: o.type,
      f: o.timeInForce,
      q: f8(o.origQty),
      p: f8(o.price),
      P: '0.00000000',
      F: '0.00000000',
      g: -1,
      C: cancelClientId !== undefined ? o.clientOrderId : '',
      x: execution,
      X: o.status,
      r: 'NONE',
      i: o.orderId,
      l: f8(fill?.qty ?? 0),
      z: f8(o.executedQty),
      L: f8(fill?.price ?? 0),
      n: f8(fill?.commission ?? 0),
      N: fill?.commissionAsset ?? null,
      T: fill?.time ?? o.updateTime,
      t: fill?.id ?? -1,
      I: this.#nextFillId + this.#nextOrderId,
      w: o.status === 'NEW' || o.status === 'PARTIALLY_FILLED',
      m: fill?.isMaker ?? false,
      M: false,
      O: o.time,
      Z: f8(o.cumQuote),
      Y: f8(fill?.quoteQty ?? 0),
      Q: '0.00000000',
      W: o.time,
      V: 'EXPIRE_MAKER',
    });
  }

  /** `outboundAccountPosition`: the assets an event changed. */
  #pushAccount(assets: readonly string[]): void {
    const now = Date.now();
    this.#pushUser({ e: 'outboundAccountPosition', E: now, u: now, B: [...new Set(assets)].map((a) => ({ a, f: f8(this.#account(a).free), l: f8(this.#account(a).locked) })) });
  }
}

const SIGNED = new Set([
  'GET /api/v3/account',
  'POST /api/v3/order',
  'GET /api/v3/order',
  'DELETE /api/v3/order',
  'GET /api/v3/openOrders',
  'GET /api/v3/allOrders',
  'GET /api/v3/myTrades',
]);
