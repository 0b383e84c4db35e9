import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { ServerFaults } from './server-faults.js';
import { upbitKrwTick } from '../../src/exchange/upbit-rules.js';

/**
 * A local Upbit-compatible exchange on 127.0.0.1 for integration tests: REST quotation and exchange
 * endpoints (JWT-checked like Upbit: HS256 with the secret, `query_hash` = SHA512 of the raw query),
 * the public websocket (`/websocket/v1`: ticker, trade, orderbook in DEFAULT or SIMPLE format, binary
 * frames like Upbit) and the private one (`/websocket/v1/private`: myOrder, myAsset).
 *
 * Orders rest until the test fills them with `fillOrder`. Fault injection: `dropConnections`,
 * `stall` (no frames, no pongs), `failNext` (429 / 418 / 500 with Upbit's Remaining-Req header),
 * `loseNextAcks` (the order is created but the HTTP answer never arrives), `refuseConnections`,
 * `lagAccounts` (`/v1/accounts` answers the balances of a moment ago), `hideNewOrders` (look-ups find an
 * order only a while after it was made).
 * Nothing here keeps the process alive: the server, its sockets and timers are unref'd, and `close()`
 * ends everything.
 */

export interface ServerMarket {
  /** Upbit code, `KRW-BTC`. */
  readonly code: string;
  readonly koreanName?: string;
  readonly englishName?: string;
  /** Last price. */
  price: number;
}

export interface UpbitServerOptions {
  readonly markets?: readonly ServerMarket[];
  readonly accessKey?: string;
  readonly secretKey?: string;
  /** Starting balances by currency (default 10,000,000 KRW). */
  readonly balances?: Readonly<Record<string, number>>;
  /** Enforce Upbit's per-second request limits with 429s (default true). */
  readonly enforceRateLimits?: boolean;
  /** Fee per side (default 0.0005). */
  readonly feeRate?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>> | undefined;
  readonly status: number;
  readonly ts: number;
}

interface ServerOrder {
  uuid: string;
  identifier: string | undefined;
  market: string;
  side: 'bid' | 'ask';
  price: number;
  volume: number;
  executed: number;
  funds: number;
  paidFee: number;
  locked: number;
  state: 'wait' | 'done' | 'cancel';
  createdAt: number;
  /** When it left the book (filled or cancelled). */
  closedAt: number | undefined;
  trades: { uuid: string; price: number; volume: number; funds: number; ts: number }[];
}

/** One order as the server holds it, for audits (a copy: changing it changes nothing). */
export interface UpbitOrderRecord {
  readonly uuid: string;
  readonly identifier: string | undefined;
  readonly market: string;
  readonly side: 'bid' | 'ask';
  readonly price: number;
  readonly volume: number;
  readonly executed: number;
  readonly state: 'wait' | 'done' | 'cancel';
  readonly createdAt: number;
  readonly closedAt: number | undefined;
  readonly trades: readonly { readonly uuid: string; readonly price: number; readonly volume: number; readonly ts: number }[];
}

interface PublicClient {
  readonly ws: WebSocket;
  /** Its place among the public sockets opened (1 for the first). */
  readonly opened: number;
  format: 'DEFAULT' | 'SIMPLE';
  types: Map<string, Set<string>>;
}

export const DEFAULT_TEST_MARKETS: readonly ServerMarket[] = [
  { code: 'KRW-BTC', koreanName: '비트코인', englishName: 'Bitcoin', price: 95_000_000 },
  { code: 'KRW-ETH', koreanName: '이더리움', englishName: 'Ethereum', price: 4_500_000 },
  { code: 'KRW-XRP', koreanName: '리플', englishName: 'XRP', price: 3_120 },
  { code: 'KRW-DOGE', koreanName: '도지코인', englishName: 'Dogecoin', price: 312.5 },
  { code: 'KRW-USDT', koreanName: '테더', englishName: 'Tether', price: 1_391.5 },
  { code: 'BTC-ETH', koreanName: '이더리움', englishName: 'Ethereum', price: 0.0473 },
];

/** Upbit's SIMPLE names, per frame type (DEFAULT name → SIMPLE name). */
const SIMPLE_KEYS: Record<string, Record<string, string>> = {
  common: { type: 'ty', code: 'cd', timestamp: 'tms', stream_type: 'st' },
  ticker: {
    opening_price: 'op', high_price: 'hp', low_price: 'lp', trade_price: 'tp', prev_closing_price: 'pcp', change: 'c',
    change_price: 'cp', signed_change_price: 'scp', change_rate: 'cr', signed_change_rate: 'scr', trade_volume: 'tv',
    acc_trade_volume: 'atv', acc_trade_volume_24h: 'atv24h', acc_trade_price: 'atp', acc_trade_price_24h: 'atp24h',
    trade_date: 'tdt', trade_time: 'ttm', trade_timestamp: 'ttms', ask_bid: 'ab', acc_ask_volume: 'aav', acc_bid_volume: 'abv',
    market_state: 'ms', is_trading_suspended: 'its', market_warning: 'mw',
  },
  trade: {
    trade_price: 'tp', trade_volume: 'tv', ask_bid: 'ab', prev_closing_price: 'pcp', change: 'c', change_price: 'cp',
    trade_date: 'td', trade_time: 'ttm', trade_timestamp: 'ttms', sequential_id: 'sid', best_ask_price: 'bap',
    best_ask_size: 'bas', best_bid_price: 'bbp', best_bid_size: 'bbs',
  },
  orderbook: { total_ask_size: 'tas', total_bid_size: 'tbs', orderbook_units: 'obu', level: 'lv' },
  unit: { ask_price: 'ap', bid_price: 'bp', ask_size: 'as', bid_size: 'bs' },
};

function invert(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [v, k]));
}
const DEFAULT_KEYS: Record<string, Record<string, string>> = Object.fromEntries(Object.entries(SIMPLE_KEYS).map(([k, m]) => [k, invert(m)]));

function renameKeys(frame: Record<string, unknown>, toSimple: boolean): Record<string, unknown> {
  const maps = toSimple ? SIMPLE_KEYS : DEFAULT_KEYS;
  const type = String(frame['type'] ?? frame['ty']);
  const common = maps['common'] ?? {};
  const specific = maps[type] ?? {};
  const unit = maps['unit'] ?? {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(frame)) {
    const name = common[k] ?? specific[k] ?? k;
    out[name] = Array.isArray(v) ? v.map((u) => (u !== null && typeof u === 'object' ? Object.fromEntries(Object.entries(u as Record<string, unknown>).map(([uk, uv]) => [unit[uk] ?? uk, uv])) : u)) : v;
  }
  return out;
}

/** A `/v1/accounts` answer holding `krw` KRW and nothing else, for a fault proxy to give in place of the server's. */
export function krwOnlyAccounts(krw: number): string {
  return JSON.stringify([{ currency: 'KRW', balance: String(krw), locked: '0', avg_buy_price: '0', avg_buy_price_modified: false, unit_currency: 'KRW' }]);
}

/** DEFAULT-named frame → SIMPLE-named frame (Upbit `format: 'SIMPLE'`). */
export function toSimpleFrame(frame: Record<string, unknown>): Record<string, unknown> {
  return 'ty' in frame ? frame : renameKeys(frame, true);
}

/** SIMPLE-named frame → DEFAULT-named frame. */
export function toDefaultFrame(frame: Record<string, unknown>): Record<string, unknown> {
  return 'type' in frame ? frame : renameKeys(frame, false);
}

function kstIso(ts: number): string {
  const d = new Date(ts + 9 * 3_600_000);
  return `${d.toISOString().slice(0, 19)}+09:00`;
}

function tickOf(code: string, price: number): number {
  const [quote, base] = code.split('-');
  if (quote === 'KRW') return upbitKrwTick(price, `${base}/KRW`);
  return 0.00000001;
}

function fmt(x: number): string {
  return Number(x.toFixed(12)).toString();
}

/** Rate-limit group of a REST path, as Upbit groups them. */
function groupOf(method: string, path: string): { group: string; perSecond: number } {
  if (path.startsWith('/v1/market')) return { group: 'market', perSecond: 10 };
  if (path.startsWith('/v1/candles')) return { group: 'candles', perSecond: 10 };
  if (path.startsWith('/v1/ticker')) return { group: 'ticker', perSecond: 10 };
  if (path.startsWith('/v1/orderbook')) return { group: 'orderbook', perSecond: 10 };
  if (path.startsWith('/v1/trades')) return { group: 'trade', perSecond: 10 };
  if (method === 'POST' && path === '/v1/orders') return { group: 'order', perSecond: 8 };
  return { group: 'default', perSecond: 30 };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly name_: string,
    message: string,
  ) {
    super(message);
  }
}

export class UpbitServer {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly requests: RecordedRequest[] = [];
  /** Every subscription frame received on the public websocket, parsed. */
  readonly subscriptions: unknown[][] = [];
  /** Every subscription frame received on the private websocket, parsed. */
  readonly privateSubscriptions: unknown[][] = [];
  /** Public websocket connections accepted so far. */
  publicConnections = 0;
  privateConnections = 0;
  /** Orders created, including the ones whose acknowledgement was lost. */
  ordersCreated = 0;
  /**
   * How far the exchange's clock is ahead of this machine's (negative: behind): every time the exchange
   * itself stamps (an order's creation, a trade, a private frame's `timestamp`, `asset_timestamp`) is
   * on that clock, as a real exchange's are on its own.
   */
  clockAheadMs = 0;

  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #markets = new Map<string, ServerMarket>();
  readonly #lastTrade = new Map<string, Record<string, unknown>>();
  /** Recent trades per market, newest last (what `/v1/trades/ticks` pages through). */
  readonly #tradeHistory = new Map<string, Record<string, unknown>[]>();
  readonly #sidCounter = new Map<string, { second: number; k: number }>();
  readonly #orders = new Map<string, ServerOrder>();
  readonly #byIdentifier = new Map<string, ServerOrder>();
  readonly #balances = new Map<string, { balance: number; locked: number }>();
  readonly #public = new Set<PublicClient>();
  readonly #private = new Set<{ ws: WebSocket; types: Set<string> }>();
  readonly #sockets = new Set<Socket>();
  readonly #rate = new Map<string, { second: number; used: number }>();
  readonly #faults = new ServerFaults();
  /** `/v1/accounts` answers the balances as they were this long ago (`lagAccounts`). */
  #accountsLagMs = 0;
  /** Orders younger than this are not found by look-ups or lists (`hideNewOrders`). */
  #hideNewMs = 0;
  /** Every state of the balances with when it began, oldest first (what a lagging `/v1/accounts` reads). */
  readonly #balanceHistory: { ts: number; balances: Map<string, { balance: number; locked: number }> }[] = [];
  #refuseSubscriptions = 0;
  #refuseAfter = 0;
  #muted = false;
  readonly #enforce: boolean;
  readonly #feeRate: number;
  #port = 0;

  private constructor(options: UpbitServerOptions) {
    this.accessKey = options.accessKey ?? 'test-access-key';
    this.secretKey = options.secretKey ?? 'test-secret-key';
    this.#enforce = options.enforceRateLimits ?? true;
    this.#feeRate = options.feeRate ?? 0.0005;
    for (const m of options.markets ?? DEFAULT_TEST_MARKETS) this.#markets.set(m.code, { ...m });
    for (const [c, v] of Object.entries(options.balances ?? { KRW: 10_000_000 })) this.#balances.set(c, { balance: v, locked: 0 });
    this.#recordBalances();
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('connection', (s: Socket) => {
      s.unref();
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    this.#wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.#server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket as Socket, head));
  }

  static async start(options: UpbitServerOptions = {}): Promise<UpbitServer> {
    const s = new UpbitServer(options);
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
  /** `http://127.0.0.1:<port>`: ccxt's `urls.api.public` / `private`, the feed's `restUrl`. */
  get restUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }
  /** `ws://127.0.0.1:<port>/websocket/v1`: ccxt's `urls.api.ws`, the feed's `wsUrl`. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.#port}/websocket/v1`;
  }

  async close(): Promise<void> {
    for (const c of this.#public) c.ws.terminate();
    for (const c of this.#private) c.ws.terminate();
    this.#wss.close();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- market control ------------------------------------------------------------------------

  listMarket(market: ServerMarket): void {
    this.#markets.set(market.code, { ...market });
  }
  delistMarket(code: string): void {
    this.#markets.delete(code);
  }
  marketCodes(): string[] {
    return [...this.#markets.keys()];
  }
  balance(currency: string): { balance: number; locked: number } {
    return { ...(this.#balances.get(currency) ?? { balance: 0, locked: 0 }) };
  }

  /** Publishes one trade on every public socket subscribed to the market; returns its frame (DEFAULT names). */
  /** A trade on the exchange, sent to subscribers unless `missed` (a frame the client never gets). */
  publishTrade(code: string, t: { price?: number; volume?: number; side?: 'ASK' | 'BID'; ts?: number; sequentialId?: number; missed?: boolean } = {}): Record<string, unknown> {
    const m = this.#market(code);
    const ts = t.ts ?? Date.now();
    const price = t.price ?? m.price;
    m.price = price;
    const frame = {
      type: 'trade',
      code,
      timestamp: ts,
      trade_date: new Date(ts).toISOString().slice(0, 10),
      trade_time: new Date(ts).toISOString().slice(11, 19),
      trade_timestamp: ts,
      trade_price: price,
      trade_volume: t.volume ?? 0.01,
      ask_bid: t.side ?? 'BID',
      prev_closing_price: price,
      change: 'EVEN',
      change_price: 0,
      sequential_id: t.sequentialId ?? this.#nextSid(code, ts),
      stream_type: 'REALTIME',
    };
    this.#lastTrade.set(code, frame);
    const history = this.#tradeHistory.get(code) ?? [];
    history.push(frame);
    if (history.length > 500) history.shift();
    this.#tradeHistory.set(code, history);
    if (!t.missed) this.#broadcast(frame);
    return frame;
  }

  publishTicker(code: string, ts = Date.now()): Record<string, unknown> {
    const frame = this.#tickerFrame(code, ts);
    this.#broadcast(frame);
    return frame;
  }

  publishOrderbook(code: string, ts = Date.now()): Record<string, unknown> {
    const frame = this.#orderbookFrame(code, ts);
    this.#broadcast(frame);
    return frame;
  }

  /** Sends a raw frame (either naming) to every subscriber of its type and code. */
  publishRaw(frame: Record<string, unknown>): void {
    this.#broadcast(toDefaultFrame(frame));
  }

  /**
   * Replays a recorded Upbit capture (cryptofeed `UPBIT.ws.*.messages.jsonl`: `{"recv_ts","msg"}` per
   * line) to the subscribers, in file order, `batch` frames per event-loop turn. Returns the frames sent.
   */
  async replay(path: string, options: { batch?: number } = {}): Promise<number> {
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
    let sent = 0;
    const batch = options.batch ?? 50;
    for (let i = 0; i < lines.length; i++) {
      const parsed = JSON.parse(lines[i] as string) as { msg?: Record<string, unknown> } & Record<string, unknown>;
      const msg = parsed.msg ?? parsed;
      const frame = toDefaultFrame(msg);
      const code = String(frame['code']);
      if (!this.#markets.has(code)) this.listMarket({ code, price: Number(frame['trade_price'] ?? 1) || 1 });
      if (frame['type'] === 'trade') this.#lastTrade.set(code, frame);
      this.#broadcast(frame);
      sent++;
      if (i % batch === batch - 1) await new Promise((r) => setImmediate(r));
    }
    return sent;
  }

  /** Now on the exchange's clock (see `clockAheadMs`). */
  #now(): number {
    return Date.now() + this.clockAheadMs;
  }

  // ---- order control ------------------------------------------------------------------------

  /** Executes `volume` (default: all that remains) of a resting order at its limit price (or `price`). */
  fillOrder(uuid: string, volume?: number, price?: number): void {
    const o = this.#orders.get(uuid);
    if (!o || o.state !== 'wait') throw new Error(`fillOrder: order ${uuid} is not open`);
    const remaining = o.volume - o.executed;
    const v = Math.min(volume ?? remaining, remaining);
    const p = price ?? o.price;
    const funds = p * v;
    const fee = funds * this.#feeRate;
    const [quote, base] = o.market.split('-') as [string, string];
    const q = this.#account(quote);
    const b = this.#account(base);
    if (o.side === 'bid') {
      const release = o.locked * (v / remaining);
      q.locked -= release;
      q.balance += release - funds - fee;
      o.locked -= release;
      b.balance += v;
    } else {
      b.locked -= v;
      o.locked -= v;
      q.balance += funds - fee;
    }
    o.executed += v;
    o.funds += funds;
    o.paidFee += fee;
    const ts = this.#now();
    const trade = { uuid: randomUUID(), price: p, volume: v, funds, ts };
    o.trades.push(trade);
    if (o.volume - o.executed <= 1e-12) {
      o.state = 'done';
      o.closedAt = ts;
      if (o.side === 'bid' && o.locked > 0) {
        q.locked -= o.locked;
        q.balance += o.locked;
        o.locked = 0;
      }
    }
    this.#recordBalances();
    this.#pushMyOrder(o, o.state === 'done' ? 'done' : 'trade', trade);
  }

  /**
   * The next order created is executed at once, `volume` of it (default: all) at `price` (a taker's
   * better price), and its creation answer carries the executed volume without `executed_funds`, as an
   * acknowledgement of an order that crossed can: the client must not take the limit price for the cost.
   */
  fillNextOnCreate(price: number, volume?: number): void {
    this.#fillOnCreate = { price, ...(volume !== undefined ? { volume } : {}) };
  }
  #fillOnCreate: { readonly price: number; readonly volume?: number } | undefined;

  /** Looks an order up by uuid or identifier (what the server knows, whatever the client was told). */
  order(ref: { uuid?: string; identifier?: string }): Record<string, unknown> | undefined {
    const o = ref.uuid ? this.#orders.get(ref.uuid) : ref.identifier ? this.#byIdentifier.get(ref.identifier) : undefined;
    return o && this.#orderJson(o, true);
  }

  /** Every order the server holds, oldest first, trades included (copies). */
  allOrders(): UpbitOrderRecord[] {
    return [...this.#orders.values()].map((o) => ({
      uuid: o.uuid,
      identifier: o.identifier,
      market: o.market,
      side: o.side,
      price: o.price,
      volume: o.volume,
      executed: o.executed,
      state: o.state,
      createdAt: o.createdAt,
      closedAt: o.closedAt,
      trades: o.trades.map((t) => ({ uuid: t.uuid, price: t.price, volume: t.volume, ts: t.ts })),
    }));
  }

  /** Every currency's balance (free and locked), as the server holds them. */
  balances(): Record<string, { balance: number; locked: number }> {
    return Object.fromEntries([...this.#balances].map(([c, a]) => [c, { ...a }]));
  }

  /** Cancels a resting order as its owner would from elsewhere (the web page): the bot learns it from the exchange. */
  cancelOrder(uuid: string): void {
    const o = this.#orders.get(uuid);
    if (!o || o.state !== 'wait') throw new Error(`cancelOrder: order ${uuid} is not open`);
    this.#cancel(o);
  }

  #cancel(o: ServerOrder): void {
    o.state = 'cancel';
    o.closedAt = this.#now();
    const [quote, base] = o.market.split('-') as [string, string];
    const a = this.#account(o.side === 'bid' ? quote : base);
    a.locked -= o.locked;
    a.balance += o.locked;
    o.locked = 0;
    this.#recordBalances();
    this.#pushMyOrder(o, 'cancel');
  }

  // ---- faults --------------------------------------------------------------------------------

  /** Terminates every websocket (public and private) without a close handshake. */
  dropConnections(): void {
    for (const c of this.#public) c.ws.terminate();
    for (const c of this.#private) c.ws.terminate();
  }

  /**
   * From now on `GET /v1/accounts` answers the balances as they were `ms` earlier (0: as they are), as an
   * account service that lags the matching engine does; orders, fills and the private frames are not delayed.
   */
  lagAccounts(ms: number): void {
    this.#accountsLagMs = ms;
  }

  /**
   * From now on an order is found by `GET /v1/order` and listed by `/v1/orders/open|closed` only once it is
   * `ms` old, as a read replica behind the order book would (0: at once); creation, its duplicate-identifier
   * check, cancels, fills and the private frames are not delayed.
   */
  hideNewOrders(ms: number): void {
    this.#hideNewMs = ms;
  }

  /** Whether a look-up or a list can see the order yet (`hideNewOrders`). */
  #visible(o: ServerOrder): boolean {
    return this.#hideNewMs <= 0 || this.#now() - o.createdAt >= this.#hideNewMs;
  }

  #recordBalances(): void {
    this.#balanceHistory.push({ ts: Date.now(), balances: new Map([...this.#balances].map(([c, a]) => [c, { ...a }])) });
    if (this.#balanceHistory.length > 10_000) this.#balanceHistory.shift();
  }

  /** The balances `/v1/accounts` answers with now (lagged by `lagAccounts`). */
  #accountsView(): Map<string, { balance: number; locked: number }> {
    if (this.#accountsLagMs <= 0) return this.#balances;
    const asOf = Date.now() - this.#accountsLagMs;
    let view = this.#balanceHistory[0]?.balances ?? this.#balances;
    for (const h of this.#balanceHistory) if (h.ts <= asOf) view = h.balances;
    return view;
  }

  /** While stalled, sockets stay open but no frame, pong or PING answer is sent. */
  stall(on: boolean): void {
    this.#faults.stalled = on;
  }

  /** While muted, public sockets carry no market data (no snapshot, no realtime frame) but still answer pings. */
  mute(on: boolean): void {
    this.#muted = on;
  }

  /**
   * The next `count` public subscription frames of sockets opened from now on are answered with Upbit's
   * error frame (INVALID_PARAM) instead of data; the socket stays open and answers pings, as Upbit's does.
   * Only sockets opened later: an earlier test's socket, closed by its client but with its subscription
   * frame still on the way (a loaded machine), would take a refusal meant for the next test's.
   */
  refuseSubscriptions(count: number): void {
    this.#refuseSubscriptions = count;
    this.#refuseAfter = this.publicConnections;
  }

  /** The next `count` websocket upgrades are refused with HTTP 503. */
  refuseConnections(count: number): void {
    this.#faults.refuseConnections(count);
  }

  /** The next `count` REST requests (optionally only those on `path`, and with `method`) are answered with `status` (429, 418, 500, 503…). */
  failNext(status: number, count = 1, path?: string, method?: string): void {
    this.#faults.failNext(status, count, path, method);
  }

  /** The next `count` POST /v1/orders create the order at once and answer `ms` later (a slow way back). */
  slowNextAcks(count: number, ms: number): void {
    this.#faults.slowNextAcks(count, ms);
  }

  /** Private frames of these types (`myOrder`, `myAsset`) go `ms` after they are made, until called again with 0. */
  delayFrames(types: readonly string[], ms: number): void {
    this.#faults.delayFrames(types, ms);
  }

  /** The next `count` POST /v1/orders create the order and then drop the connection without answering. */
  loseNextAcks(count = 1): void {
    this.#faults.loseNextAcks(count);
  }

  requestsTo(path: string, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && (method === undefined || r.method === method));
  }

  // ---- internals: websocket --------------------------------------------------------------------

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (this.#faults.takeRefusal()) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    if (path === '/websocket/v1/private') {
      const auth = req.headers['authorization'];
      const ok = typeof auth === 'string' && this.#verifyJwt(auth.replace(/^Bearer /, ''), undefined) === undefined;
      if (!ok) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onPrivate(ws));
      return;
    }
    if (path !== '/websocket/v1') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onPublic(ws));
  }

  #heartbeat(ws: WebSocket): void {
    ws.on('ping', (data) => {
      if (!this.#faults.stalled) ws.pong(data);
    });
  }

  #onPublic(ws: WebSocket): void {
    this.publicConnections++;
    const client: PublicClient = { ws, opened: this.publicConnections, format: 'DEFAULT', types: new Map() };
    this.#public.add(client);
    this.#heartbeat(ws);
    ws.on('close', () => this.#public.delete(client));
    ws.on('error', () => this.#public.delete(client));
    ws.on('message', (data) => {
      if (this.#faults.stalled) return;
      const text = data.toString();
      if (text === 'PING') {
        ws.send(JSON.stringify({ status: 'UP' }));
        return;
      }
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        ws.send(Buffer.from(JSON.stringify({ error: { name: 'WRONG_FORMAT', message: 'Invalid JSON' } })));
        return;
      }
      if (!Array.isArray(msg)) {
        ws.send(Buffer.from(JSON.stringify({ error: { name: 'WRONG_FORMAT', message: 'Expected an array' } })));
        return;
      }
      this.subscriptions.push(msg);
      if (this.#refuseSubscriptions > 0 && client.opened > this.#refuseAfter) {
        this.#refuseSubscriptions--;
        client.types = new Map();
        ws.send(Buffer.from(JSON.stringify({ error: { name: 'INVALID_PARAM', message: 'codes 필드가 비어 있습니다.' } })));
        return;
      }
      // Upbit replaces the socket's whole subscription with each frame it receives.
      client.types = new Map();
      let onlyRealtime = false;
      for (const part of msg as Record<string, unknown>[]) {
        if (typeof part['format'] === 'string') client.format = part['format'] === 'SIMPLE' ? 'SIMPLE' : 'DEFAULT';
        if (typeof part['type'] === 'string' && Array.isArray(part['codes'])) {
          client.types.set(part['type'], new Set((part['codes'] as unknown[]).map((c) => String(c).toUpperCase())));
          if (part['isOnlyRealtime'] === true) onlyRealtime = true;
        }
      }
      if (!onlyRealtime) this.#sendSnapshots(client);
    });
  }

  #sendSnapshots(client: PublicClient): void {
    const ts = Date.now();
    for (const [type, codes] of client.types) {
      for (const code of codes) {
        if (!this.#markets.has(code)) continue;
        let frame: Record<string, unknown> | undefined;
        if (type === 'ticker') frame = this.#tickerFrame(code, ts);
        else if (type === 'orderbook') frame = this.#orderbookFrame(code, ts);
        else if (type === 'trade') frame = this.#lastTrade.get(code);
        if (frame) this.#send(client, { ...frame, stream_type: 'SNAPSHOT' });
      }
    }
  }

  #send(client: PublicClient, frame: Record<string, unknown>): void {
    if (client.ws.readyState !== WebSocket.OPEN || this.#muted) return;
    client.ws.send(Buffer.from(JSON.stringify(client.format === 'SIMPLE' ? toSimpleFrame(frame) : frame)));
  }

  #broadcast(frame: Record<string, unknown>): void {
    if (this.#faults.stalled) return;
    const type = String(frame['type']);
    const code = String(frame['code']);
    for (const c of this.#public) if (c.types.get(type)?.has(code)) this.#send(c, frame);
  }

  #onPrivate(ws: WebSocket): void {
    this.privateConnections++;
    const client = { ws, types: new Set<string>() };
    this.#private.add(client);
    this.#heartbeat(ws);
    ws.on('close', () => this.#private.delete(client));
    ws.on('error', () => this.#private.delete(client));
    ws.on('message', (data) => {
      if (this.#faults.stalled) return;
      const text = data.toString();
      if (text === 'PING') {
        ws.send(JSON.stringify({ status: 'UP' }));
        return;
      }
      try {
        const msg = JSON.parse(text) as Record<string, unknown>[];
        this.privateSubscriptions.push(msg);
        client.types = new Set(msg.map((p) => p['type']).filter((t): t is string => typeof t === 'string'));
      } catch {
        /* ignored like Upbit's error frame */
      }
    });
  }

  #pushMyOrder(o: ServerOrder, state: string, trade?: ServerOrder['trades'][number]): void {
    if (this.#faults.stalled) return;
    const ts = this.#now();
    const frame: Record<string, unknown> = {
      type: 'myOrder',
      code: o.market,
      uuid: o.uuid,
      ask_bid: o.side === 'bid' ? 'BID' : 'ASK',
      order_type: 'limit',
      state,
      trade_uuid: trade?.uuid,
      price: trade ? trade.price : o.price,
      avg_price: o.executed > 0 ? o.funds / o.executed : 0,
      volume: trade ? trade.volume : o.volume,
      remaining_volume: o.volume - o.executed,
      executed_volume: o.executed,
      trades_count: o.trades.length,
      reserved_fee: o.side === 'bid' ? o.price * o.volume * this.#feeRate : 0,
      remaining_fee: 0,
      paid_fee: o.paidFee,
      locked: o.locked,
      executed_funds: o.funds,
      trade_fee: trade ? trade.funds * this.#feeRate : null,
      is_maker: trade ? true : null,
      identifier: o.identifier ?? null,
      trade_timestamp: trade?.ts ?? null,
      order_timestamp: o.createdAt,
      timestamp: ts,
      stream_type: 'REALTIME',
    };
    this.#sendPrivate('myOrder', frame);
    this.#pushMyAsset(o.market.split('-'));
  }

  /** To every private socket subscribed to `type`, at once or after `delayFrames`' wait. */
  #sendPrivate(type: string, frame: Record<string, unknown>): void {
    const send = (): void => {
      for (const c of this.#private) if (c.types.has(type) && c.ws.readyState === WebSocket.OPEN) c.ws.send(Buffer.from(JSON.stringify(frame)));
    };
    const delay = this.#faults.frameDelay(type);
    if (delay > 0) setTimeout(send, delay).unref();
    else send();
  }

  /** Upbit's `myAsset`: the balances an order event changed (quote and base of its market). */
  #pushMyAsset(currencies: readonly string[]): void {
    const ts = this.#now();
    const frame = {
      type: 'myAsset',
      asset_uuid: randomUUID(),
      assets: currencies.map((currency) => ({ currency, balance: this.#account(currency).balance, locked: this.#account(currency).locked })),
      asset_timestamp: ts,
      timestamp: ts,
      stream_type: 'REALTIME',
    };
    this.#sendPrivate('myAsset', frame);
  }

  // ---- internals: REST -----------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    let body: Record<string, unknown> | undefined;
    if (method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        body = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = undefined;
      }
    }
    const { group, perSecond } = groupOf(method, path);
    const record = (status: number): void => {
      this.requests.push({ method, path, query, body, status, ts: Date.now() });
    };
    const send = (status: number, payload: unknown, remaining?: number): void => {
      record(status);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'remaining-req': `group=${group}; min=1800; sec=${remaining ?? 0}`,
      });
      res.end(JSON.stringify(payload));
    };
    // injected faults first
    const status = this.#faults.takeAnswer(path, method);
    if (status !== undefined) {
      const name = status === 429 ? 'too_many_requests' : status === 418 ? 'blocked' : 'server_error';
      const message = status === 429 ? 'Too many API requests.' : status === 418 ? 'Blocked for 60 seconds after repeated 429s.' : 'Internal server error';
      send(status, { error: { name, message } }, 0);
      return;
    }
    // Upbit's per-group, per-second budget
    const second = Math.floor(Date.now() / 1000);
    const slot = this.#rate.get(group);
    const used = slot && slot.second === second ? slot.used + 1 : 1;
    this.#rate.set(group, { second, used });
    const remaining = Math.max(0, perSecond - used);
    if (this.#enforce && used > perSecond) {
      send(429, { error: { name: 'too_many_requests', message: 'Too many API requests.' } }, 0);
      return;
    }
    try {
      const isPrivate = !['/v1/market/all', '/v1/ticker', '/v1/orderbook', '/v1/trades/ticks', '/v1/orderbook/instruments'].includes(path) && !path.startsWith('/v1/candles/');
      if (isPrivate) {
        const err = this.#verifyJwt((req.headers['authorization'] ?? '').replace(/^Bearer /, ''), method === 'POST' ? body : query);
        if (err) throw new HttpError(401, err, 'Jwt 토큰 검증에 실패했습니다.');
      }
      if (method === 'POST' && path === '/v1/orders' && this.#faults.takeLostAck()) {
        this.#createOrder(body ?? {});
        record(0);
        req.socket.destroy();
        return;
      }
      const slow = method === 'POST' && path === '/v1/orders' ? this.#faults.takeSlowAck() : 0;
      const payload = this.#route(method, path, query, body);
      if (slow > 0) setTimeout(() => send(201, payload, remaining), slow);
      else send(method === 'POST' ? 201 : 200, payload, remaining);
    } catch (e) {
      if (e instanceof HttpError) send(e.status, { error: { name: e.name_, message: e.message } }, remaining);
      else send(500, { error: { name: 'server_error', message: String(e) } }, remaining);
    }
  }

  #route(method: string, path: string, q: Record<string, string>, body: Record<string, unknown> | undefined): unknown {
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /v1/market/all':
        return [...this.#markets.values()].map((m) => ({
          market: m.code,
          korean_name: m.koreanName ?? m.code,
          english_name: m.englishName ?? m.code,
          ...(q['isDetails'] === 'true' ? { market_event: { warning: false, caution: {} } } : {}),
        }));
      case 'GET /v1/ticker':
        return this.#codes(q['markets']).map((c) => {
          const { type: _t, code, stream_type: _s, timestamp, ...rest } = this.#tickerFrame(c, Date.now());
          return { market: code, ...rest, timestamp };
        });
      case 'GET /v1/orderbook':
        return this.#codes(q['markets']).map((c) => {
          const { type: _t, code, stream_type: _s, ...rest } = this.#orderbookFrame(c, Date.now());
          return { market: code, ...rest };
        });
      case 'GET /v1/orderbook/instruments':
        return this.#codes(q['markets']).map((c) => {
          const m = this.#market(c);
          return { market: c, quote_currency: c.split('-')[0], tick_size: fmt(tickOf(c, m.price)), supported_levels: [0] };
        });
      case 'GET /v1/trades/ticks': {
        const c = this.#codes(q['market'])[0] as string;
        const count = Math.min(500, Number(q['count'] ?? 1) || 1);
        // Like Upbit: newest first.
        return (this.#tradeHistory.get(c) ?? []).slice(-count).reverse().map((t) => {
          const ts = Number(t['timestamp']);
          return {
            market: c,
            trade_date_utc: new Date(ts).toISOString().slice(0, 10),
            trade_time_utc: new Date(ts).toISOString().slice(11, 19),
            timestamp: ts,
            trade_price: t['trade_price'],
            trade_volume: t['trade_volume'],
            prev_closing_price: t['prev_closing_price'],
            change_price: 0,
            ask_bid: t['ask_bid'],
            sequential_id: t['sequential_id'],
          };
        });
      }
      case 'GET /v1/candles/minutes/1': {
        const c = this.#codes(q['market'])[0] as string;
        const m = this.#market(c);
        const count = Math.min(200, Number(q['count'] ?? 1) || 1);
        // Like Upbit: newest first, only candles that opened before `to` (exclusive; ISO 8601, UTC when
        // no zone is given), never past the current minute. Downloads page through history with it.
        const current = Math.floor(Date.now() / 60_000) * 60_000;
        const toText = q['to'];
        const to = toText ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(toText) ? toText : `${toText.replace(' ', 'T')}Z`) : NaN;
        const newest = Number.isFinite(to) ? Math.min(current, Math.ceil(to / 60_000) * 60_000 - 60_000) : current;
        return Array.from({ length: count }, (_, i) => {
          const t = newest - i * 60_000;
          return {
            market: c,
            candle_date_time_utc: new Date(t).toISOString().slice(0, 19),
            candle_date_time_kst: kstIso(t).slice(0, 19),
            opening_price: m.price,
            high_price: m.price,
            low_price: m.price,
            trade_price: m.price,
            timestamp: t + 59_000,
            // a volume that depends on the minute only: a download repeated is byte-identical
            candle_acc_trade_price: m.price * (((t / 60_000) % 7) + 1) * 0.01,
            candle_acc_trade_volume: (((t / 60_000) % 7) + 1) * 0.01,
            unit: 1,
          };
        });
      }
      case 'GET /v1/accounts':
        return [...this.#accountsView().entries()].map(([currency, a]) => ({
          currency,
          balance: fmt(a.balance),
          locked: fmt(a.locked),
          avg_buy_price: '0',
          avg_buy_price_modified: false,
          unit_currency: 'KRW',
        }));
      case 'GET /v1/orders/chance': {
        const c = this.#codes(q['market'])[0] as string;
        const [quote, base] = c.split('-') as [string, string];
        const acct = (cur: string): Record<string, unknown> => {
          const a = this.#account(cur);
          return { currency: cur, balance: fmt(a.balance), locked: fmt(a.locked), avg_buy_price: '0', avg_buy_price_modified: false, unit_currency: 'KRW' };
        };
        return {
          bid_fee: fmt(this.#feeRate),
          ask_fee: fmt(this.#feeRate),
          maker_bid_fee: fmt(this.#feeRate),
          maker_ask_fee: fmt(this.#feeRate),
          market: {
            id: c,
            name: `${base}/${quote}`,
            order_types: ['limit'],
            ord_types: ['limit'],
            order_sides: ['ask', 'bid'],
            bid: { currency: quote, min_total: quote === 'KRW' ? '5000' : '0.00005' },
            ask: { currency: quote, min_total: quote === 'KRW' ? '5000' : '0.00005' },
            max_total: '1000000000',
            state: 'active',
          },
          bid_account: acct(quote),
          ask_account: acct(base),
        };
      }
      case 'POST /v1/orders': {
        const o = this.#createOrder(body ?? {});
        const fill = this.#fillOnCreate;
        if (!fill) return this.#orderJson(o, false);
        this.#fillOnCreate = undefined;
        this.fillOrder(o.uuid, fill.volume, fill.price);
        const { executed_funds: _funds, ...answer } = this.#orderJson(o, false);
        return answer;
      }
      case 'GET /v1/order':
        return this.#orderJson(this.#find(q), true);
      case 'DELETE /v1/order': {
        const o = this.#find(q, false);
        if (o.state !== 'wait') throw new HttpError(400, 'order_not_found', '주문을 찾지 못했습니다.');
        this.#cancel(o);
        return this.#orderJson(o, false);
      }
      case 'GET /v1/orders/closed': {
        // Upbit's closed-order list: `state` done or cancel (both when absent), `start_time` in ms or ISO, newest first.
        const market = q['market'];
        const states = q['state'] ? [q['state']] : ['done', 'cancel'];
        const startText = q['start_time'];
        const start = startText === undefined ? 0 : /^\d+$/.test(startText) ? Number(startText) : Date.parse(startText);
        const closed = [...this.#orders.values()].filter((o) => states.includes(o.state) && (market === undefined || o.market === market) && o.createdAt >= start && this.#visible(o));
        return closed.reverse().slice(0, Number(q['limit'] ?? 100)).map((o) => this.#orderJson(o, false));
      }
      case 'GET /v1/orders/open': {
        const market = q['market'];
        const open = [...this.#orders.values()].filter((o) => o.state === 'wait' && (market === undefined || o.market === market) && this.#visible(o));
        // Like Upbit: newest first, `limit` at most 100 a page, `page` from 1.
        const limit = Math.min(100, Number(q['limit'] ?? 100) || 100);
        const page = Math.max(1, Number(q['page'] ?? 1) || 1);
        return open.reverse().slice((page - 1) * limit, page * limit).map((o) => this.#orderJson(o, false));
      }
      default:
        throw new HttpError(404, 'not_found', `${method} ${path} is not served`);
    }
  }

  /** The order a request names; `lagged`: as a look-up sees it (`hideNewOrders`), not the order book (a cancel). */
  #find(q: Record<string, string>, lagged = true): ServerOrder {
    const o = q['uuid'] ? this.#orders.get(q['uuid']) : q['identifier'] ? this.#byIdentifier.get(q['identifier']) : undefined;
    if (!q['uuid'] && !q['identifier']) throw new HttpError(400, 'validation_error', 'uuid or identifier is required');
    if (!o || (lagged && !this.#visible(o))) throw new HttpError(404, 'order_not_found', '주문을 찾지 못했습니다.');
    return o;
  }

  #createOrder(b: Record<string, unknown>): ServerOrder {
    const market = String(b['market'] ?? '');
    const side = b['side'];
    const ordType = b['ord_type'];
    const price = Number(b['price']);
    const volume = Number(b['volume']);
    const identifier = typeof b['identifier'] === 'string' ? b['identifier'] : undefined;
    if (side !== 'bid' && side !== 'ask') throw new HttpError(400, 'validation_error', 'side is missing, side does not have a valid value');
    if (ordType !== 'limit') throw new HttpError(400, 'validation_error', 'ord_type is missing, ord_type does not have a valid value');
    const m = this.#markets.get(market);
    if (!m) throw new HttpError(404, 'market_does_not_exist', '마켓을 찾을 수 없습니다.');
    if (identifier !== undefined && this.#byIdentifier.has(identifier)) throw new HttpError(400, 'duplicate_identifier', 'identifier는 중복될 수 없습니다.');
    if (!(price > 0) || !(volume > 0)) throw new HttpError(400, `create_${side}_error`, '주문 요청 정보가 올바르지 않습니다.');
    const tick = tickOf(market, price);
    if (Math.abs(price / tick - Math.round(price / tick)) > 1e-9) throw new HttpError(400, `invalid_price_${side}`, '주문가격 단위를 잘못 입력하셨습니다. 확인 후 시도해주세요.');
    const [quote, base] = market.split('-') as [string, string];
    const total = price * volume;
    if (quote === 'KRW' && total < 5_000) throw new HttpError(400, `under_min_total_${side}`, '최소주문금액 이상으로 주문해주세요');
    const lockCurrency = side === 'bid' ? quote : base;
    const lock = side === 'bid' ? total * (1 + this.#feeRate) : volume;
    const a = this.#account(lockCurrency);
    if (a.balance + 1e-9 < lock) throw new HttpError(400, `insufficient_funds_${side}`, `주문가능한 금액(${lockCurrency})이 부족합니다.`);
    a.balance -= lock;
    a.locked += lock;
    const o: ServerOrder = {
      uuid: randomUUID(),
      identifier,
      market,
      side,
      price,
      volume,
      executed: 0,
      funds: 0,
      paidFee: 0,
      locked: lock,
      state: 'wait',
      createdAt: this.#now(),
      closedAt: undefined,
      trades: [],
    };
    this.#orders.set(o.uuid, o);
    if (identifier !== undefined) this.#byIdentifier.set(identifier, o);
    this.ordersCreated++;
    this.#recordBalances();
    this.#pushMyOrder(o, 'wait');
    return o;
  }

  #orderJson(o: ServerOrder, withTrades: boolean): Record<string, unknown> {
    return {
      uuid: o.uuid,
      side: o.side,
      ord_type: 'limit',
      price: fmt(o.price),
      state: o.state,
      market: o.market,
      created_at: kstIso(o.createdAt),
      volume: fmt(o.volume),
      remaining_volume: fmt(o.volume - o.executed),
      reserved_fee: fmt(o.side === 'bid' ? o.price * o.volume * this.#feeRate : 0),
      remaining_fee: fmt(o.side === 'bid' ? (o.volume - o.executed) * o.price * this.#feeRate : 0),
      paid_fee: fmt(o.paidFee),
      locked: fmt(o.locked),
      executed_volume: fmt(o.executed),
      executed_funds: fmt(o.funds),
      trades_count: o.trades.length,
      time_in_force: null,
      ...(o.identifier !== undefined ? { identifier: o.identifier } : {}),
      ...(withTrades
        ? {
            trades: o.trades.map((t) => ({
              market: o.market,
              uuid: t.uuid,
              price: fmt(t.price),
              volume: fmt(t.volume),
              funds: fmt(t.funds),
              side: o.side,
              created_at: kstIso(t.ts),
              trend: null,
            })),
          }
        : {}),
    };
  }

  #verifyJwt(token: string, params: Record<string, unknown> | undefined): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return 'jwt_verification';
    const [h, p, s] = parts as [string, string, string];
    const expected = createHmac('sha256', this.secretKey).update(`${h}.${p}`).digest();
    const given = Buffer.from(s, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'jwt_verification';
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return 'jwt_verification';
    }
    if (payload['access_key'] !== this.accessKey) return 'invalid_access_key';
    if (typeof payload['nonce'] !== 'string') return 'invalid_query_payload';
    if (params !== undefined && Object.keys(params).length > 0) {
      const raw = Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join('&');
      const hash = createHash('sha512').update(raw).digest('hex');
      if (payload['query_hash'] !== hash) return 'invalid_query_payload';
    }
    return undefined;
  }

  // ---- internals: market data ----------------------------------------------------------------

  #market(code: string): ServerMarket {
    const m = this.#markets.get(code);
    if (!m) throw new HttpError(404, 'not_found', 'Code not found');
    return m;
  }

  #codes(list: string | undefined): string[] {
    if (!list) throw new HttpError(400, 'validation_error', 'markets is required');
    const codes = list.split(',').map((c) => c.trim().toUpperCase());
    const known = codes.filter((c) => this.#markets.has(c));
    if (known.length === 0) throw new HttpError(404, 'not_found', 'Code not found');
    return known;
  }

  #account(currency: string): { balance: number; locked: number } {
    let a = this.#balances.get(currency);
    if (!a) {
      a = { balance: 0, locked: 0 };
      this.#balances.set(currency, a);
    }
    return a;
  }

  #nextSid(code: string, ts: number): number {
    // Upbit's sequential_id: the trade's second (in ms) × 1000 + a counter restarting every second.
    const second = Math.floor(ts / 1000) * 1000;
    const c = this.#sidCounter.get(code);
    const k = c && c.second === second ? c.k + 1 : 0;
    this.#sidCounter.set(code, { second, k });
    return second * 1000 + k;
  }

  #tickerFrame(code: string, ts: number): Record<string, unknown> {
    const m = this.#market(code);
    return {
      type: 'ticker',
      code,
      opening_price: m.price,
      high_price: m.price,
      low_price: m.price,
      trade_price: m.price,
      prev_closing_price: m.price,
      change: 'EVEN',
      change_price: 0,
      signed_change_price: 0,
      change_rate: 0,
      signed_change_rate: 0,
      trade_volume: 0.01,
      acc_trade_volume: 10,
      acc_trade_volume_24h: 20,
      acc_trade_price: 10 * m.price,
      acc_trade_price_24h: 20 * m.price,
      trade_date: new Date(ts).toISOString().slice(0, 10).replaceAll('-', ''),
      trade_time: new Date(ts).toISOString().slice(11, 19).replaceAll(':', ''),
      trade_date_kst: kstIso(ts).slice(0, 10).replaceAll('-', ''),
      trade_time_kst: kstIso(ts).slice(11, 19).replaceAll(':', ''),
      trade_timestamp: ts,
      highest_52_week_price: m.price * 1.5,
      highest_52_week_date: new Date(ts - 90 * 86_400_000).toISOString().slice(0, 10),
      lowest_52_week_price: m.price / 2,
      lowest_52_week_date: new Date(ts - 200 * 86_400_000).toISOString().slice(0, 10),
      ask_bid: 'BID',
      acc_ask_volume: 5,
      acc_bid_volume: 5,
      market_state: 'ACTIVE',
      is_trading_suspended: false,
      market_warning: 'NONE',
      timestamp: ts,
      stream_type: 'REALTIME',
    };
  }

  #orderbookFrame(code: string, ts: number): Record<string, unknown> {
    const m = this.#market(code);
    const tick = tickOf(code, m.price);
    const units = Array.from({ length: 15 }, (_, i) => ({
      ask_price: Number((m.price + tick * (i + 1)).toPrecision(12)),
      bid_price: Number((m.price - tick * i).toPrecision(12)),
      ask_size: 1 + i,
      bid_size: 2 + i,
    }));
    return {
      type: 'orderbook',
      code,
      timestamp: ts,
      total_ask_size: units.reduce((s, u) => s + u.ask_size, 0),
      total_bid_size: units.reduce((s, u) => s + u.bid_size, 0),
      orderbook_units: units,
      level: 0,
      stream_type: 'REALTIME',
    };
  }
}
