import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { BinanceServer, type BinanceMarket } from '../helpers/binance-server.js';
import { auditFaults, auditLine, binanceExchangeState, positionIds, readBotState, upbitExchangeState, type AuditOrder, type ExchangeState } from '../helpers/fault-audit.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { bareProfile } from '../helpers/bare-profile.js';

/**
 * The fault matrix of issue 14: the real CLI (`coinrx live --live`) against the local Upbit and Binance
 * servers and a real redis-server, killed with SIGKILL in every position state and at seeded random
 * moments, with fills and cancels made on the exchange while it is down, lost acknowledgements with
 * failing look-ups, 5xx on submit, dropped and silent sockets, and Redis stopped or frozen across a
 * restart. Every scenario ends with a clean stop and the audit of test/helpers/fault-audit.ts (the
 * exchange's orders and trades against the bot's positions, event log and balances), printed as one
 * line, every count zero.
 *
 * COINRX_SOAK=1 runs 60 random kills instead of 14.
 */
const SOAK = process.env['COINRX_SOAK'] === '1';
const CLI = new URL('../../bin/coinrx.js', import.meta.url).pathname;
const DEBUG = process.env['COINRX_FAULT_DEBUG'] === '1';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The scenarios' waits: 20 s unless told, polled every 50 ms. */
const until = (predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> => waitFor(predicate, what, timeoutMs, 50);

/** Waits for a moment the scenario aims at; when the bot never gets there the scenario goes on (the audit judges). */
async function aim(w: World, predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<boolean> {
  try {
    await until(predicate, what, timeoutMs);
    return true;
  } catch {
    w.note(`did not see ${what} within ${timeoutMs} ms`);
    return false;
  }
}

// ---- the exchanges -----------------------------------------------------------------------------

/** One local exchange as the matrix drives it: prices, fills and cancels by hand, faults, its state. */
interface Venue {
  readonly name: 'upbit' | 'binance';
  readonly env: Record<string, string>;
  readonly args: readonly string[];
  /** `XRP/KRW`… */
  readonly markets: readonly string[];
  /** Exchange path of the order look-up and of order submission. */
  readonly orderPath: string;
  readonly submitPath: string;
  state(): ExchangeState;
  /** One trade per market at its current price (the market feed that drives the bot's batches). */
  tick(): void;
  /** Moves a market's price by a factor (take-profit on the way up). */
  move(market: string, factor: number): void;
  /** Fills a fraction of what is left of an order, if it is still open (false if not). */
  fill(order: AuditOrder, fraction?: number): boolean;
  /** Cancels an order, if it is still open (false if not). */
  cancel(order: AuditOrder): boolean;
  failNext(status: number, count: number, path?: string, method?: string): void;
  loseNextAcks(count: number): void;
  dropConnections(): void;
  stall(on: boolean): void;
  /** Requests received on the order path with this method (DELETE: cancels). */
  requests(method: string): number;
  close(): Promise<void>;
}

const UPBIT_MARKETS = [
  { code: 'KRW-XRP', price: 3000 },
  { code: 'KRW-ADA', price: 1000 },
  { code: 'KRW-TRX', price: 400 },
];

async function upbitVenue(): Promise<Venue> {
  const ORDER_PATH = '/v1/order';
  const server = await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 100_000_000 }, markets: UPBIT_MARKETS });
  const prices = new Map(UPBIT_MARKETS.map((m) => [m.code, m.price]));
  const uuidOf = (o: AuditOrder): string => o.id;
  const current = (o: AuditOrder): AuditOrder | undefined => upbitExchangeState(server).orders.find((x) => x.id === o.id);
  return {
    name: 'upbit',
    env: { UPBIT_ACCESS_KEY: server.accessKey, UPBIT_SECRET_KEY: server.secretKey },
    args: ['--exchange-url', server.restUrl],
    markets: UPBIT_MARKETS.map((m) => `${m.code.split('-')[1]}/KRW`),
    orderPath: ORDER_PATH,
    submitPath: '/v1/orders',
    state: () => upbitExchangeState(server),
    tick: () => {
      for (const [code, price] of prices) server.publishTrade(code, { price, volume: 10 });
    },
    move: (market, factor) => {
      const [base] = market.split('/');
      const code = `KRW-${base}`;
      // on the 1 KRW tick (100..10,000 KRW) or 0.1 below 1,000 (Upbit's KRW ticks)
      const p = prices.get(code) as number;
      prices.set(code, p >= 1000 ? Math.round(p * factor) : Math.round(p * factor * 10) / 10);
    },
    fill: (order, fraction = 1) => {
      const o = current(order);
      if (!o?.open) return false;
      server.fillOrder(uuidOf(o), (o.amount - o.executed) * fraction);
      return true;
    },
    cancel: (order) => {
      if (!current(order)?.open) return false;
      server.cancelOrder(uuidOf(order));
      return true;
    },
    failNext: (status, count, path, method) => server.failNext(status, count, path, method),
    loseNextAcks: (count) => server.loseNextAcks(count),
    dropConnections: () => server.dropConnections(),
    stall: (on) => server.stall(on),
    requests: (method) => server.requestsTo(ORDER_PATH, method).length,
    close: () => server.close(),
  };
}

const BINANCE_MARKETS: readonly BinanceMarket[] = [
  { symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT', tickSize: '0.01000000', stepSize: '0.00010000', minQty: '0.00010000', maxQty: '9000.00000000', minNotional: '5.00000000', price: 2_600 },
  { symbol: 'XRPUSDT', baseAsset: 'XRP', quoteAsset: 'USDT', tickSize: '0.00010000', stepSize: '0.10000000', minQty: '0.10000000', maxQty: '9222449.00000000', minNotional: '5.00000000', price: 0.5 },
  { symbol: 'ADAUSDT', baseAsset: 'ADA', quoteAsset: 'USDT', tickSize: '0.00010000', stepSize: '0.10000000', minQty: '0.10000000', maxQty: '9000000.00000000', minNotional: '5.00000000', price: 0.4 },
];

async function binanceVenue(): Promise<Venue> {
  const ORDER_PATH = '/api/v3/order';
  const server = await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 100_000 }, markets: BINANCE_MARKETS });
  const prices = new Map(BINANCE_MARKETS.map((m) => [m.symbol, m.price as number]));
  const markets = Object.fromEntries(BINANCE_MARKETS.map((m) => [m.symbol, { base: m.baseAsset, quote: m.quoteAsset, step: Number(m.stepSize) }]));
  const ticks = new Map(BINANCE_MARKETS.map((m) => [m.symbol, Number(m.tickSize)]));
  const steps = new Map(BINANCE_MARKETS.map((m) => [m.symbol, Number(m.stepSize)]));
  const symbolOf = (market: string): string => market.replace('/', '');
  const current = (o: AuditOrder): AuditOrder | undefined => binanceExchangeState(server, markets).orders.find((x) => x.id === o.id);
  return {
    name: 'binance',
    env: { BINANCE_API_KEY: server.apiKey, BINANCE_SECRET: server.secret },
    args: ['--exchange-url', server.restUrl, '--set', 'exchange.id=binance', '--set', 'exchange.quote=USDT'],
    markets: BINANCE_MARKETS.map((m) => `${m.baseAsset}/${m.quoteAsset}`),
    orderPath: ORDER_PATH,
    submitPath: ORDER_PATH,
    state: () => binanceExchangeState(server, markets),
    tick: () => {
      // at the price: a resting buy at it is not traded through, a sell at it is not either
      for (const [symbol, price] of prices) server.publishTrade(symbol, { price, qty: 0.0001 });
    },
    move: (market, factor) => {
      const symbol = symbolOf(market);
      const tick = ticks.get(symbol) as number;
      prices.set(symbol, Math.round(((prices.get(symbol) as number) * factor) / tick) * tick);
    },
    fill: (order, fraction = 1) => {
      const o = current(order);
      if (!o?.open) return false;
      const step = steps.get(symbolOf(o.market)) as number;
      const left = o.amount - o.executed;
      const qty = fraction >= 1 ? left : Math.max(step, Math.floor((left * fraction) / step) * step);
      server.fillOrder(o.id, Math.min(left, qty));
      return true;
    },
    cancel: (order) => {
      if (!current(order)?.open) return false;
      server.cancelOrder(order.id);
      return true;
    },
    failNext: (status, count, path, method) => server.failNext(status, count, path, method),
    loseNextAcks: (count) => server.loseNextAcks(count),
    dropConnections: () => server.dropConnections(),
    stall: (on) => server.stall(on),
    requests: (method) => server.requestsTo(ORDER_PATH, method).length,
    close: () => server.close(),
  };
}

// ---- the bot -----------------------------------------------------------------------------------

interface Child {
  readonly out: () => string;
  readonly err: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Trading within seconds: 1 s batches, no filters, 3 positions of 20 %, exits at ±0.2 % / 0.5 %, 30 s hold. */
const FAST = [
  ['features.every', '1s'],
  ['filter.minValue1d', '0'],
  ['filter.minTrades1d', '0'],
  ['ranking.top', '3'],
  ['strategy.skipBearMarket', 'false'],
  ['strategy.takeProfit', '0.002'],
  ['strategy.stopLoss', '0.005'],
  ['strategy.maxHold', '30s'],
  ['strategy.buyTimeout', '20s'],
  ['strategy.sellTimeout', '12s'],
  ['allocation.maxPositions', '3'],
  ['allocation.maxPerCoin', '0.2'],
] as const;

/** One scenario's world: an exchange, a Redis, the bot's runs, the ticking market, the audit. */
class World {
  readonly botId: string;
  readonly known = new Set<string>();
  readonly log: string[] = [];
  kills = 0;
  /** Everything every run wrote to stderr. */
  reports = '';
  readonly notes: string[] = [];
  #child: Child | undefined;
  #runs = 0;
  #timer: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #client: Redis;
  #polling = false;
  readonly #out: string;
  readonly #settings: Map<string, string>;

  private constructor(
    readonly name: string,
    readonly venue: Venue,
    readonly redis: RedisTestServer,
    settings: Readonly<Record<string, string>>,
  ) {
    this.botId = `fm${name.replace(/[^a-z0-9]/gi, '').slice(0, 12).toLowerCase()}`;
    this.#out = mkdtempSync(join(tmpdir(), `coinrx-fault-${this.botId}-`));
    this.#settings = new Map<string, string>([...FAST, ['botId', this.botId], ...Object.entries(settings)]);
    this.#client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 1_000, enableOfflineQueue: false });
  }

  static async open(name: string, venue: 'upbit' | 'binance', options: { settings?: Record<string, string>; persistentRedis?: boolean } = {}): Promise<World> {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-fault-redis-'));
    const redis = await RedisTestServer.start(options.persistentRedis ? { args: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] } : {});
    const w = new World(name, venue === 'upbit' ? await upbitVenue() : await binanceVenue(), redis, options.settings ?? {});
    await w.#client.connect();
    w.#timer = setInterval(() => w.venue.tick(), 150);
    // The positions the bot has in Redis, sampled: the audit's "lost position" needs to know them.
    w.#poll = setInterval(() => void w.#sample(), 300);
    return w;
  }

  async #sample(): Promise<void> {
    if (this.#polling || !this.redis.running) return;
    this.#polling = true;
    try {
      for (const id of await positionIds(this.#client, this.botId)) this.known.add(id);
    } catch {
      /* Redis stopped or frozen: sampled again later */
    } finally {
      this.#polling = false;
    }
  }

  note(line: string): void {
    this.notes.push(line);
  }

  /** The bot's orders on the exchange, oldest first. */
  orders(): AuditOrder[] {
    return this.venue.state().orders.filter((o) => o.clientId?.startsWith(`${this.botId}-`));
  }
  open(side?: 'buy' | 'sell'): AuditOrder[] {
    return this.orders().filter((o) => o.open && (side === undefined || o.side === side));
  }

  out(): string {
    return this.#child?.out() ?? '';
  }
  err(): string {
    return this.#child?.err() ?? '';
  }

  start(): void {
    if (this.#child) throw new Error('the bot is running');
    const args = ['live', '--live', '--config', bareProfile(), ...this.venue.args, '--out', this.#out];
    for (const [k, v] of this.#settings) args.push('--set', `${k}=${v}`);
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...this.venue.env, REDIS_URL: this.redis.url, CI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const run = ++this.#runs;
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (DEBUG) process.stderr.write(`[${this.name} #${run} out] ${d.toString()}`);
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      this.reports += d.toString();
      if (DEBUG) process.stderr.write(`[${this.name} #${run} err] ${d.toString()}`);
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    this.#child = { out: () => out, err: () => err, exit, kill: (s) => child.kill(s) };
    void exit.then(() => this.log.push(`--- run ${run} out\n${out}--- run ${run} err\n${err}`));
  }

  /** Started and trading (its reconciliation done). */
  async trading(timeoutMs = 30_000): Promise<void> {
    await until(() => /live: reconciled; trading|live: REAL orders on/.test(this.err()), `${this.name}: the bot to start trading`, timeoutMs);
  }

  async kill9(): Promise<void> {
    const c = this.#child;
    if (!c) return;
    c.kill('SIGKILL');
    await c.exit;
    this.#child = undefined;
    this.kills++;
  }

  async restart(): Promise<void> {
    this.start();
    await this.trading();
  }

  async stop(): Promise<void> {
    const c = this.#child;
    if (!c) return;
    c.kill('SIGINT');
    const timeout = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await c.exit;
    clearTimeout(timeout);
    this.#child = undefined;
  }

  /**
   * Lets the bot catch up, stops it cleanly, audits, prints the line; the counts are returned. With
   * `whileRunning` the bot's side is read before the stop (what it knows by then; no balances report),
   * so that nothing the stop itself looks up can hide a fill it missed.
   */
  async audit(options: { settleMs?: number; whileRunning?: boolean } = {}): Promise<Record<string, number>> {
    if (!this.#child) await this.restart();
    await sleep(options.settleMs ?? 4_000);
    // The audit's own client gives up commands while it reconnects (no offline queue): after Redis was stopped it may still be on its way back.
    await until(() => this.#client.status === 'ready', `${this.name}: the audit's Redis client to reconnect`);
    await this.#sample();
    const early = options.whileRunning ? await readBotState(this.#client, this.botId) : undefined;
    await this.stop();
    const bot = early ?? (await readBotState(this.#client, this.botId, join(this.#out, 'summary.json')));
    const report = auditFaults(this.venue.state(), bot, { clientPrefix: `${this.botId}-`, known: this.known, reports: this.reports });
    const line = `${auditLine(`${this.name} (${this.kills} kills)`, report.counts)}`;
    process.stdout.write(`${line}\n${[...this.notes.map((n) => `note: ${n}`), ...report.findings].map((f) => `  ${f}\n`).join('')}`);
    if (DEBUG || report.findings.length > 0) process.stdout.write(`${this.log.join('\n').split('\n').filter((l) => /reconcil|rejected|restored|fill|unknown|error|store|held outside/i.test(l)).slice(-60).join('\n')}\n`);
    return { ...report.counts };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#poll);
    if (this.#child) {
      this.#child.kill('SIGKILL');
      await this.#child.exit;
    }
    this.#client.disconnect();
    await this.venue.close();
    if (this.redis.pid !== undefined) process.kill(this.redis.pid, 'SIGCONT');
    await this.redis.stop();
  }
}

const ZERO = { duplicateOrders: 0, lostFills: 0, fillsRecordedTwice: 0, lostPositions: 0, abandonedPositions: 0, balanceMismatches: 0, ownCalledForeign: 0 };

// ---- the scenarios -----------------------------------------------------------------------------

interface Scenario {
  readonly name: string;
  /** Audit what the bot knows before it is stopped (see World.audit). */
  readonly auditWhileRunning?: boolean;
  readonly options?: { settings?: Record<string, string>; persistentRedis?: boolean };
  readonly timeoutMs?: number;
  run(w: World): Promise<void>;
}

/**
 * How long a scenario waits for the bot to rest three buys. On a loaded machine this once failed after 60 s
 * with two markets of three ranked: the feed handed over one market's trades per socket chunk and the third
 * market's waited for good (fixed in CcxtMarketFeed, spec in ccxt-market-feed.spec.ts); the margin stays.
 */
const THREE_BUYS_MS = 60_000;

/** Every position state in turn, a kill in each: buy resting, partly filled, filled while down, holding, sell resting. */
const everyState: Scenario = {
  name: 'kill in every position state',
  // no time-outs: each state stays until the scenario moves it on
  options: { settings: { 'strategy.buyTimeout': '10m', 'strategy.maxHold': '10m', 'strategy.sellTimeout': '10m' } },
  async run(w) {
    w.start();
    await w.trading();
    await until(() => w.open('buy').length >= 3, 'three resting buys', THREE_BUYS_MS);
    await w.kill9(); // buy resting
    await w.restart();
    const [a, b, c] = w.open('buy') as [AuditOrder, AuditOrder, AuditOrder];
    w.venue.fill(a, 0.5);
    await sleep(2_000); // the partial fill reaches the bot
    await w.kill9(); // partly filled
    w.venue.fill(a); // the rest while down: a partial fill across the crash
    w.venue.fill(b);
    await w.restart();
    await sleep(2_000); // the fills made while down reach the bot
    await w.kill9(); // holding (a, b), buy resting (c)
    await w.restart();
    w.venue.move(a.market, 1.01);
    await aim(w, () => w.orders().some((o) => o.side === 'sell'), 'a take-profit sell');
    await w.kill9(); // sell resting (or sold)
    await w.restart();
    const sell = w.open('sell')[0];
    if (sell) w.venue.fill(sell, 0.5);
    w.venue.cancel(c);
    await sleep(1_500);
    await w.kill9(); // sell partly filled, a buy cancelled on the exchange
    await w.restart();
  },
};

/**
 * A cancel the bot sent whose answer it never saw: killed as the DELETE reaches the exchange, first for a
 * buy that timed out, then for buys the price ran away from.
 */
const cancelInFlight: Scenario = {
  name: 'kill with a cancel in flight',
  options: { settings: { 'strategy.buyTimeout': '3s' } },
  async run(w) {
    w.start();
    await w.trading();
    await until(() => w.open('buy').length > 0, 'a resting buy', 40_000);
    w.venue.fill(w.open('buy')[0] as AuditOrder, 0.3);
    let cancels = w.venue.requests('DELETE');
    await aim(w, () => w.venue.requests('DELETE') > cancels, 'the cancel of a timed-out buy', 15_000);
    await w.kill9();
    await w.restart();
    await aim(w, () => w.open('buy').length > 0, 'a resting buy', 15_000);
    cancels = w.venue.requests('DELETE');
    for (const m of w.venue.markets) w.venue.move(m, 1.03);
    await aim(w, () => w.venue.requests('DELETE') > cancels, 'the cancel of a buy the price ran away from', 15_000);
    await w.kill9();
    await w.restart();
  },
};

/** Down: one buy filled, one partly filled, one cancelled, then a partly filled one cancelled. */
const whileDown: Scenario = {
  name: 'fills and cancels while down',
  async run(w) {
    w.start();
    await w.trading();
    await until(() => w.open('buy').length >= 3, 'three resting buys', THREE_BUYS_MS);
    await w.kill9();
    const [a, b, c] = w.open('buy') as [AuditOrder, AuditOrder, AuditOrder];
    w.venue.fill(a);
    w.venue.fill(b, 0.4);
    w.venue.cancel(c);
    await w.restart();
    await sleep(1_500);
    await w.kill9();
    if (w.venue.fill(b, 0.5)) w.venue.cancel(b);
    await w.restart();
  },
};

/** Every GET of an order answers 503 while the next acknowledgement is lost; the look-ups recover later. */
const lostAck: Scenario = {
  name: 'lost acknowledgement with failing look-ups',
  async run(w) {
    w.start();
    await w.trading();
    // armed once trading: the start-up's own look-ups are not the point
    w.venue.failNext(503, 40, w.venue.orderPath, 'GET');
    w.venue.loseNextAcks(1);
    await until(() => w.orders().length > 0, 'the order whose acknowledgement is lost');
    await sleep(6_000);
    const first = w.orders()[0] as AuditOrder;
    if (first.open) w.venue.fill(first, 0.5);
    await sleep(3_000);
  },
};

/** The exchange answers 500 to order submissions for a while, then a kill and a restart. */
const submit5xx: Scenario = {
  name: '5xx on submit',
  async run(w) {
    w.venue.failNext(500, 3, w.venue.submitPath, 'POST');
    w.start();
    await w.trading();
    await until(() => w.open('buy').length > 0, 'a resting buy after the failed submissions');
    w.venue.fill(w.open('buy')[0] as AuditOrder, 0.5);
    await sleep(1_000);
    w.venue.failNext(503, 2, w.venue.submitPath, 'POST');
    await w.kill9();
    await w.restart();
  },
};

/** Sockets dropped with fills in between, then sockets that stay open and say nothing while orders fill. */
const sockets: Scenario = {
  name: 'dropped and silent sockets',
  async run(w) {
    w.start();
    await w.trading();
    await until(() => w.open('buy').length >= 2, 'two resting buys');
    w.venue.dropConnections();
    w.venue.fill(w.open('buy')[0] as AuditOrder, 0.5);
    await sleep(2_000);
    w.venue.dropConnections();
    w.venue.fill(w.open('buy')[0] as AuditOrder);
    await sleep(2_000);
    w.venue.stall(true);
    for (const o of w.open('buy')) w.venue.fill(o);
    await sleep(6_000);
    w.venue.stall(false);
  },
};

/**
 * A server that goes silent (sockets open, no frame, no pong) and stays so: the fills made meanwhile
 * must reach the bot by REST within seconds (audited before the stop, which would look them up).
 */
const silent: Scenario = {
  name: 'silent socket through the audit',
  auditWhileRunning: true,
  async run(w) {
    w.start();
    await w.trading();
    await until(() => w.open('buy').length >= 2, 'two resting buys', 40_000);
    w.venue.stall(true);
    for (const o of w.open('buy')) w.venue.fill(o);
    // A silent socket is noticed within 1.5 × stallMs (10 s: ccxt pings every 5 s and fails it after two
    // missed pongs), then open orders are polled at once: 20 s (and the audit's 4 s) leave the REST
    // look-ups 9 s on a loaded machine (10 s left them none at the end of a ping cycle).
    await sleep(20_000);
  },
};

/** Redis stopped (with its data kept on disk) while the bot restarts; back 12 s later. */
const redisStopped: Scenario = {
  name: 'Redis stopped across a restart',
  options: { persistentRedis: true },
  async run(w) {
    w.start();
    await w.trading();
    await until(() => w.open('buy').length >= 3, 'three resting buys', THREE_BUYS_MS);
    w.venue.fill(w.open('buy')[0] as AuditOrder);
    await sleep(1_500);
    await w.kill9();
    await w.redis.stop();
    w.venue.fill(w.open('buy')[0] as AuditOrder, 0.5);
    w.start();
    await sleep(12_000);
    await w.redis.restart();
    await w.trading(40_000);
  },
};

/** Redis frozen (SIGSTOP: connections open, nothing answered) while the bot restarts; thawed 12 s later. */
const redisFrozen: Scenario = {
  name: 'Redis frozen across a restart',
  async run(w) {
    w.start();
    await w.trading();
    await until(() => w.open('buy').length >= 3, 'three resting buys', THREE_BUYS_MS);
    w.venue.fill(w.open('buy')[0] as AuditOrder);
    await sleep(1_500);
    await w.kill9();
    const pid = w.redis.pid as number;
    process.kill(pid, 'SIGSTOP');
    w.venue.fill(w.open('buy')[0] as AuditOrder, 0.5);
    w.start();
    await sleep(12_000);
    process.kill(pid, 'SIGCONT');
    await w.trading(40_000);
  },
};

/**
 * Kills at seeded random moments (0.3–3.8 s after a start, so during start-up too), and between them
 * seeded exchange actions: part or all of an open order filled or cancelled, a price moved up, while
 * the bot runs or while it is down.
 */
function randomKills(count: number, seed: number): Scenario {
  return {
    name: `kills at random moments (seed ${seed})`,
    timeoutMs: 60_000 + count * 12_000,
    async run(w) {
      const rng = new Random(seed);
      const act = (): void => {
        const open = w.open();
        const r = rng.next();
        const o = open[rng.int(Math.max(1, open.length))];
        if (o && r < 0.35) w.venue.fill(o, rng.next() < 0.5 ? 0.5 : 1);
        else if (o && r < 0.5) w.venue.cancel(o);
        else if (r < 0.65) {
          const markets = [...new Set(w.orders().map((x) => x.market))];
          const m = markets[rng.int(Math.max(1, markets.length))];
          if (m) w.venue.move(m, 1.005);
        }
      };
      for (let i = 0; i < count; i++) {
        w.start();
        await sleep(300 + rng.int(3_500));
        act();
        await sleep(rng.int(1_000));
        await w.kill9();
        act();
      }
      await w.restart();
    },
  };
}

const SCENARIOS: readonly Scenario[] = [everyState, cancelInFlight, whileDown, lostAck, submit5xx, sockets, silent, redisStopped, redisFrozen, randomKills(SOAK ? 60 : 14, 14)];

for (const venue of ['upbit', 'binance'] as const) {
  describe.skipIf(skipWithoutRedis())(`fault matrix on ${venue}: coinrx live killed and faulted, audited against the exchange`, () => {
    const worlds: World[] = [];
    afterAll(async () => {
      for (const w of worlds) await w.close();
    });
    for (const s of SCENARIOS) {
      const name = `${venue}: ${s.name}`;
      it(
        name,
        async () => {
          const w = await World.open(name, venue, s.options);
          worlds.push(w);
          try {
            await s.run(w);
          } catch (error) {
            process.stdout.write(`${name} failed: ${(error as Error).message}\n${w.log.join('\n')}\n--- running out\n${w.out()}--- running err\n${w.err()}\n`);
            throw error;
          }
          expect(await w.audit({ whileRunning: s.auditWhileRunning === true })).toEqual(ZERO);
        },
        s.timeoutMs ?? 150_000,
      );
    }
  });
}
