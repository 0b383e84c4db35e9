import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { BehaviorSubject, Observable, type Subscriber } from 'rxjs';
import type { RawData, WebSocket } from 'ws';
import { FeedRun, type FeedBackoff } from './feed-connection.js';
import type { MarketEvent, MarketSymbol } from '../../core/index.js';
import type { ConnectionStatus, MarketFeed } from './market-feed.js';
import { UpbitFrames } from '../parsers/upbit-frames.js';
import { parseUpbitFrameJson } from '../parsers/upbit-frame-json.js';
import { upbitMarket } from '../symbols.js';
import { TradeSequencer } from './trade-sequencer.js';
import { fetchUpbitMarketCodes, upbitGet, UPBIT_REST_URL, UPBIT_WS_URL } from '../../net/upbit-quotation.js';

/** ws loads with the first connection: commands that only import the exchange module (backtest) skip it. */
const wsModule = (): typeof import('ws') => createRequire(import.meta.url)('ws') as typeof import('ws');

export interface UpbitMarketFeedOptions {
  /** Quote currency whose markets are all followed (default `KRW`). Ignored when `markets` is given. */
  readonly quote?: string;
  /** A fixed market list (`BTC/KRW` or `KRW-BTC`); no periodic re-reading of `/v1/market/all`. */
  readonly markets?: readonly MarketSymbol[];
  /** REST base, default `https://api.upbit.com`. */
  readonly restUrl?: string;
  /** Websocket URL, default `wss://api.upbit.com/websocket/v1`. */
  readonly wsUrl?: string;
  /** How often the market list is re-read for listings and delistings (default 5 min). */
  readonly marketRefreshMs?: number;
  /** A websocket ping is sent this often when the socket is quiet (default 5 s). */
  readonly pingIntervalMs?: number;
  /** No frame and no pong for this long means the connection stalled (default 20 s; pings go out every 5 s of silence). */
  readonly idleTimeoutMs?: number;
  /**
   * No market data (pongs and status answers do not count) for this long on a subscribed socket means the
   * subscription died while the socket lives: it is opened again (default 60 s; a feed of markets that
   * trade and quote less often than that reconnects once a minute, which costs a snapshot).
   */
  readonly dataIdleMs?: number;
  /** Reconnect backoff. Defaults: 500 ms doubling to 30 s, half jittered, never giving up. */
  readonly backoff?: FeedBackoff;
  /** Frame naming requested from Upbit (default SIMPLE, the smaller one). */
  readonly format?: 'SIMPLE' | 'DEFAULT';
  readonly random?: () => number;
  readonly fetch?: typeof fetch;
}

export type { ConnectionStatus };

export interface UpbitFeedStats {
  readonly frames: number;
  readonly events: number;
  readonly malformed: number;
  /** Trades dropped as already seen (same `sequential_id`). */
  readonly duplicates: number;
  /** Trade ids found missing by `sequential_id`. */
  readonly gaps: number;
  /** Missing trade ids that arrived later. */
  readonly lateTrades: number;
  /** Reconnect snapshots of a trade already seen or older than the market's newest (not emitted). */
  readonly snapshotTradesSkipped: number;
  /** Missing trades recovered over REST (`/v1/trades/ticks`) and emitted late, with their own times. */
  readonly backfilled: number;
  /** Backfill requests that failed (the trades stay counted as gaps). */
  readonly backfillErrors: number;
  /** Connections opened after the first. */
  readonly reconnects: number;
  /** Connections closed for silence (no frame, no pong within the idle timeout). */
  readonly stalls: number;
  /** Connections closed because no market data came for `dataIdleMs` while pongs still did. */
  readonly dataStalls: number;
  /** Subscription frames sent. */
  readonly subscriptions: number;
  /**
   * Subscriptions Upbit refused with an error frame (`{"error":{"name":"INVALID_PARAM",…}}`): nothing
   * flows after one, so the socket is closed and opened again with the reconnect backoff, the market
   * list re-read first.
   */
  readonly subscriptionErrors: number;
  /** Market-list reads that failed (the previous list is kept). */
  readonly marketListErrors: number;
  readonly markets: number;
}

const toCode = (m: MarketSymbol): string => {
  if (/^[A-Z0-9]+-[A-Z0-9]+$/i.test(m)) return m.toUpperCase();
  const [base, quote] = m.split('/');
  if (!base || !quote) throw new Error(`invalid market "${m}": expected BASE/QUOTE or QUOTE-BASE`);
  return `${quote}-${base}`.toUpperCase();
};

/**
 * Live Upbit market data as `MarketEvent`s: ticker, trades and order-book top of every market of the
 * quote currency, in ONE websocket subscription
 * `[{ticket},{type:'ticker',codes},{type:'trade',codes},{type:'orderbook',codes},{format}]`.
 *
 * - The market list is re-read every `marketRefreshMs`; a change is re-subscribed on the open socket.
 * - A `connection` machine owns the socket lifecycle: heartbeat pings, idle (stall) detection,
 *   reconnect with exponential backoff and jitter, resubscription on every new socket.
 * - Trades are de-duplicated and gap-checked on `sequential_id` (`TradeSequencer`); reconnect
 *   snapshots of trades are emitted only when newer than anything seen for the market.
 *
 * `events$` is shared: the first subscriber starts the feed, the last one to leave stops it.
 */
export class UpbitMarketFeed implements MarketFeed {
  readonly events$: Observable<MarketEvent>;
  readonly #status = new BehaviorSubject<ConnectionStatus>({ state: 'stopped', attempt: 0, delayMs: 0, reason: undefined, opens: 0 });
  readonly connection$: Observable<ConnectionStatus> = this.#status.asObservable();

  readonly #options: UpbitMarketFeedOptions;
  /** The subscribers of `events$`: a Subject behind share() allocated an iterator and a closure per event. */
  readonly #sinks: Subscriber<MarketEvent>[] = [];
  readonly #parser = new UpbitFrames();
  readonly #sequencer = new TradeSequencer();
  readonly #batch: MarketEvent[] = [];
  #codes: string[] = [];
  #ws: WebSocket | undefined;
  #run: FeedRun | undefined;
  #lastActivity = 0;
  #counters = { frames: 0, events: 0, malformed: 0, snapshotTradesSkipped: 0, stalls: 0, dataStalls: 0, subscriptions: 0, subscriptionErrors: 0, marketListErrors: 0, backfilled: 0, backfillErrors: 0 };
  /** Whether the current socket has carried data since it opened (the attempt then counts as a success). */
  #live = false;
  /** When the current socket opened or last carried market data. */
  #lastData = 0;
  /** Market codes with a REST backfill scheduled or in flight (one at a time per market). */
  readonly #backfilling = new Set<string>();

  constructor(options: UpbitMarketFeedOptions = {}) {
    this.#options = options;
    if (options.markets) this.#codes = [...new Set(options.markets.map(toCode))].sort();
    this.events$ = new Observable<MarketEvent>((subscriber) => {
      this.#sinks.push(subscriber);
      if (this.#sinks.length === 1) this.#start();
      return () => {
        const i = this.#sinks.indexOf(subscriber);
        if (i >= 0) this.#sinks.splice(i, 1);
        if (this.#sinks.length === 0) this.#stop();
      };
    });
  }

  /** Market codes currently subscribed (`KRW-BTC`…). */
  marketCodes(): readonly string[] {
    return this.#codes;
  }

  /** Markets currently subscribed, unified (`BTC/KRW`…). */
  markets(): readonly MarketSymbol[] {
    return this.#codes.map((c) => upbitMarket(c) ?? c);
  }

  stats(): UpbitFeedStats {
    const s = this.#sequencer.stats;
    const opens = this.#status.getValue().opens;
    return {
      ...this.#counters,
      duplicates: s.duplicates,
      gaps: s.gaps,
      lateTrades: s.late,
      reconnects: Math.max(0, opens - 1),
      markets: this.#codes.length,
    };
  }

  /** Re-reads the market list now (also done every `marketRefreshMs`); resubscribes on a change. */
  async refreshMarkets(): Promise<void> {
    if (this.#options.markets) return;
    let codes: string[];
    try {
      codes = await fetchUpbitMarketCodes(this.#options.quote ?? 'KRW', this.#quotation());
    } catch {
      this.#counters.marketListErrors++;
      return;
    }
    if (codes.join(',') === this.#codes.join(',')) return;
    for (const gone of this.#codes) if (!codes.includes(gone)) this.#sequencer.forget(upbitMarket(gone) ?? gone);
    this.#codes = codes;
    this.#subscribe();
  }

  #quotation(): { restUrl: string; fetch?: typeof fetch; retry: { attempts: number; signal?: AbortSignal } } {
    return {
      restUrl: this.#options.restUrl ?? UPBIT_REST_URL,
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      retry: { attempts: 3, ...(this.#run ? { signal: this.#run.signal } : {}) },
    };
  }

  #start(): void {
    if (this.#run) return;
    const ping = this.#options.pingIntervalMs ?? 5_000;
    this.#run = new FeedRun({
      socket: { openSocket: () => this.#open(), closeSocket: () => this.#close(), subscribe: () => this.#subscribe() },
      status: this.#status,
      backoff: this.#options.backoff,
      random: this.#options.random,
      heartbeatMs: Math.max(10, Math.min(ping, (this.#options.idleTimeoutMs ?? 20_000) / 3)),
      beat: () => this.#beat(),
      refreshMarkets: () => this.refreshMarkets(),
      ready: () => this.#codes.length > 0 || this.#options.markets !== undefined,
      marketRefreshMs: this.#options.markets ? undefined : (this.#options.marketRefreshMs ?? 300_000),
    });
    void this.#run.boot();
  }

  #stop(): void {
    this.#run?.stop();
    this.#run = undefined;
    this.#close();
  }

  #open(): void {
    this.#close();
    const ws = new (wsModule().WebSocket)(this.#options.wsUrl ?? UPBIT_WS_URL, { handshakeTimeout: 10_000 });
    this.#ws = ws;
    this.#lastActivity = Date.now();
    const current = (): boolean => this.#ws === ws;
    ws.on('open', () => {
      if (!current()) return;
      this.#lastActivity = Date.now();
      this.#lastData = this.#lastActivity;
      this.#live = false;
      this.#run?.actor.send({ type: 'connection.opened' });
    });
    ws.on('message', (data: RawData) => {
      if (!current()) return;
      this.#lastActivity = Date.now();
      this.#onFrame(data);
    });
    ws.on('pong', () => {
      if (current()) this.#lastActivity = Date.now();
    });
    const closed = (reason: string): void => {
      if (!current()) return;
      this.#ws = undefined;
      this.#run?.actor.send({ type: 'connection.closed', reason });
    };
    ws.on('close', (code) => closed(`closed (${code})`));
    ws.on('error', (err) => closed(err.message));
    ws.on('unexpected-response', (_req, res) => {
      ws.terminate();
      closed(`HTTP ${res.statusCode ?? '?'}`);
    });
  }

  #close(): void {
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
    }
  }

  #subscribe(): void {
    const ws = this.#ws;
    if (!ws || ws.readyState !== ws.OPEN || this.#codes.length === 0) return;
    const codes = this.#codes;
    const frame = [
      { ticket: randomUUID() },
      { type: 'ticker', codes },
      { type: 'trade', codes },
      { type: 'orderbook', codes },
      { format: this.#options.format ?? 'SIMPLE' },
    ];
    ws.send(JSON.stringify(frame));
    this.#counters.subscriptions++;
  }

  #beat(): void {
    const ws = this.#ws;
    if (!ws || ws.readyState !== ws.OPEN) return;
    const idle = Date.now() - this.#lastActivity;
    if (idle > (this.#options.idleTimeoutMs ?? 20_000)) {
      this.#counters.stalls++;
      this.#run?.actor.send({ type: 'connection.stalled' });
      return;
    }
    const quietFor = Date.now() - this.#lastData;
    const dataIdle = this.#options.dataIdleMs ?? 60_000;
    if (quietFor > dataIdle) {
      this.#counters.dataStalls++;
      this.#run?.actor.send({ type: 'connection.closed', reason: `no market data for ${Math.round(quietFor / 1000)} s (pongs only)` });
      return;
    }
    if (idle >= Math.min(this.#options.pingIntervalMs ?? 5_000, (this.#options.idleTimeoutMs ?? 20_000) / 3)) ws.ping();
  }

  #onFrame(data: RawData): void {
    this.#counters.frames++;
    let f: Record<string, unknown>;
    try {
      const parsed = parseUpbitFrameJson(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
      f = parsed as Record<string, unknown>;
    } catch {
      this.#counters.malformed++;
      return;
    }
    if ('status' in f) return; // {"status":"UP"} answers a text PING
    if ('error' in f) {
      this.#refused(f['error']);
      return;
    }
    this.#lastData = this.#lastActivity;
    if (!this.#live) {
      this.#live = true;
      this.#run?.actor.send({ type: 'connection.live' });
    }
    const batch = this.#batch;
    batch.length = 0;
    const outcome = this.#parser.handle(f, batch);
    if (outcome === 'malformed') this.#counters.malformed++;
    // Indexed: an iterator here was allocated per frame.
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i] as MarketEvent;
      if (e.kind === 'trade') {
        const snapshot = (f['st'] ?? f['stream_type']) === 'SNAPSHOT';
        const before = this.#sequencer.maxId(e.market);
        const gaps = this.#sequencer.stats.gaps;
        if (this.#sequencer.observe(e.market, e.id) === 'duplicate') continue;
        if (this.#sequencer.stats.gaps > gaps) this.#scheduleBackfill(e.market);
        // A snapshot trade is the market's last trade, replayed on every subscription: only news is emitted.
        if (snapshot && (before === undefined || e.id === undefined || e.id < before)) {
          this.#counters.snapshotTradesSkipped++;
          continue;
        }
      }
      this.#counters.events++;
      this.#emit(e);
    }
  }

  /**
   * Upbit answered the subscription with an error frame: nothing will flow on this socket, though it stays
   * open and answers pings (so the stall check never fires). It is closed and opened again through the
   * backoff, which grows while no data has flowed; the market list is re-read first, since a stale code
   * is the likely cause.
   */
  #refused(error: unknown): void {
    this.#counters.subscriptionErrors++;
    const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; message?: unknown };
    const reason = `subscription refused: ${String(e.name ?? 'error')}${e.message !== undefined ? ` (${String(e.message).slice(0, 120)})` : ''}`;
    this.#run?.actor.send({ type: 'connection.closed', reason });
    if (!this.#options.markets) void this.refreshMarkets();
  }

  #emit(e: MarketEvent): void {
    const sinks = this.#sinks;
    if (sinks.length === 1) (sinks[0] as Subscriber<MarketEvent>).next(e);
    // A copy: a subscriber may leave (or another join) while the event is delivered.
    else for (const sink of sinks.slice()) sink.next(e);
  }

  /**
   * Trades found missing by `sequential_id` are fetched over REST a second later (when the stragglers of
   * that second have had their chance) and emitted with their own times. Consumers see them late: the
   * features skip what is older than they are, the simulated exchange still matches them.
   */
  #scheduleBackfill(market: MarketSymbol): void {
    const code = toCode(market);
    if (this.#backfilling.has(code)) return;
    this.#backfilling.add(code);
    setTimeout(() => {
      void this.#backfill(market, code).finally(() => this.#backfilling.delete(code));
    }, 1_000).unref();
  }

  async #backfill(market: MarketSymbol, code: string): Promise<void> {
    const wanted = new Set(this.#sequencer.missingIds(market));
    if (wanted.size === 0 || !this.#run) return;
    let rows: Record<string, unknown>[];
    try {
      rows = await upbitGet<Record<string, unknown>[]>(`/v1/trades/ticks?market=${code}&count=200`, this.#quotation());
    } catch {
      this.#counters.backfillErrors++;
      return;
    }
    const events: MarketEvent[] = [];
    for (const row of [...rows].reverse()) {
      const id = Number(row['sequential_id']);
      if (!wanted.has(id)) continue;
      this.#parser.handle({ type: 'trade', code, timestamp: row['timestamp'], trade_timestamp: row['timestamp'], trade_price: row['trade_price'], trade_volume: row['trade_volume'], ask_bid: row['ask_bid'], sequential_id: id, stream_type: 'REALTIME' }, events);
    }
    for (const e of events) {
      if (e.kind !== 'trade' || this.#sequencer.observe(e.market, e.id) === 'duplicate') continue;
      this.#counters.backfilled++;
      this.#counters.events++;
      this.#emit(e);
    }
  }
}
