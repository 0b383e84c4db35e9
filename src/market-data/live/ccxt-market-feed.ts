import type { Exchange as Ccxt, Trade as CcxtTrade } from 'ccxt';
import { BehaviorSubject, Observable, share, Subject } from 'rxjs';
import { FeedRun, type FeedBackoff } from './feed-connection.js';
import type { MarketEvent, MarketSymbol } from '../../core/index.js';
import type { ConnectionStatus, MarketFeed } from './market-feed.js';

export interface CcxtMarketFeedOptions {
  /** A ccxt.pro instance; public data needs no keys. */
  readonly exchange: Ccxt;
  /** Quote currency whose spot markets are all followed (default `USDT`). Ignored when `markets` is given. */
  readonly quote?: string;
  /** A fixed market list (`BTC/USDT`); no periodic re-reading of the exchange's markets. */
  readonly markets?: readonly MarketSymbol[];
  /** How often the market list is re-read for listings and delistings (default 5 min). */
  readonly marketRefreshMs?: number;
  /** No data for this long means the connection stalled (default 120 s). */
  readonly idleTimeoutMs?: number;
  /** Reconnect backoff. Defaults: 500 ms doubling to 30 s, half jittered, never giving up. */
  readonly backoff?: FeedBackoff;
  /** Follow the best bid and ask (`watchBidsAsks`) where the exchange has it (default true). */
  readonly book?: boolean;
  /**
   * Markets per watch call (default 100): the markets are watched in groups of this many, one loop each.
   * ccxt refuses more in one call on some exchanges (Binance: 200, where the USDT market lists ~400).
   */
  readonly marketsPerWatch?: number;
  readonly random?: () => number;
}

export interface CcxtFeedStats {
  /** Batches answered by ccxt's watch calls. */
  readonly frames: number;
  readonly events: number;
  /** Trades or quotes ccxt gave without a usable price, amount or time (dropped). */
  readonly malformed: number;
  /** Trades dropped as already seen (an id not above the market's newest). */
  readonly duplicates: number;
  /** Trade ids found missing where the exchange numbers trades 1, 2, 3… per market (Binance). */
  readonly gaps: number;
  readonly reconnects: number;
  /** Connections closed for silence. */
  readonly stalls: number;
  /** Market-list reads that failed (the previous list is kept). */
  readonly marketListErrors: number;
  readonly markets: number;
}

/**
 * Live market data of any ccxt.pro exchange as `MarketEvent`s: the trades (`watchTradesForSymbols`) and
 * the best bid and ask (`watchBidsAsks`) of every spot market of the quote currency, through ccxt's own
 * websocket subscriptions. The same `connection` machine as the Upbit feed owns the lifecycle: data
 * arriving marks the connection open; a failed watch, or silence for `idleTimeoutMs`, closes every socket
 * (`exchange.close()`) and reconnects after an exponential backoff with jitter. The market list is
 * re-read every `marketRefreshMs`; new markets join the next watch call. Trades are de-duplicated by
 * id; where ids count up by one (Binance), a jump is counted as a gap (no REST backfill here: the
 * exchange's REST trade ids need not be the websocket's).
 *
 * `events$` is shared: the first subscriber starts the feed, the last one to leave stops it.
 */
export class CcxtMarketFeed implements MarketFeed {
  readonly events$: Observable<MarketEvent>;
  readonly #status = new BehaviorSubject<ConnectionStatus>({ state: 'stopped', attempt: 0, delayMs: 0, reason: undefined, opens: 0 });
  readonly connection$: Observable<ConnectionStatus> = this.#status.asObservable();
  readonly #options: CcxtMarketFeedOptions;
  readonly #ex: Ccxt;
  readonly #out = new Subject<MarketEvent>();
  readonly #lastId = new Map<MarketSymbol, number>();
  /** The newest trade and book top emitted per market: the ccxt caches are read up to them (see #drainTrades). */
  readonly #lastTrade = new Map<MarketSymbol, CcxtTrade>();
  readonly #lastQuote = new Map<MarketSymbol, Record<string, unknown>>();
  #symbols: MarketSymbol[] = [];
  #run: FeedRun | undefined;
  #generation = 0;
  #lastActivity = 0;
  #counters = { frames: 0, events: 0, malformed: 0, duplicates: 0, gaps: 0, stalls: 0, marketListErrors: 0 };

  constructor(options: CcxtMarketFeedOptions) {
    this.#options = options;
    this.#ex = options.exchange;
    if (options.markets) this.#symbols = [...new Set(options.markets)].sort();
    this.events$ = new Observable<MarketEvent>((subscriber) => {
      const sub = this.#out.subscribe(subscriber);
      this.#start();
      return () => {
        sub.unsubscribe();
        this.#stop();
      };
    }).pipe(share());
  }

  markets(): readonly MarketSymbol[] {
    return this.#symbols;
  }

  stats(): CcxtFeedStats {
    return { ...this.#counters, reconnects: Math.max(0, this.#status.getValue().opens - 1), markets: this.#symbols.length };
  }

  /** Re-reads the exchange's markets now (also done every `marketRefreshMs`). */
  async refreshMarkets(): Promise<void> {
    if (this.#options.markets) return;
    const quote = this.#options.quote ?? 'USDT';
    let symbols: MarketSymbol[];
    try {
      const markets = await this.#ex.loadMarkets(true);
      symbols = Object.values(markets)
        .filter((m) => m !== undefined && m.spot === true && m.active !== false && m.quote === quote)
        .map((m) => String(m?.symbol))
        .sort();
    } catch {
      this.#counters.marketListErrors++;
      return;
    }
    const before = this.#symbols;
    this.#symbols = symbols;
    // A listing or a delisting: the watch calls of the old groups stay subscribed on their sockets, so the
    // connection is made again with the new groups (ccxt has no general way to unsubscribe).
    const state = this.#run?.actor.getSnapshot().value;
    if (before.length > 0 && before.join(',') !== symbols.join(',') && (state === 'open' || state === 'connecting')) {
      this.#generation++;
      this.#run?.actor.send({ type: 'connection.closed', reason: `the market list changed (${symbols.length} markets)` });
    }
  }

  #start(): void {
    if (this.#run) return;
    this.#run = new FeedRun({
      socket: { openSocket: () => this.#open(), closeSocket: () => this.#close(), subscribe: () => {} },
      status: this.#status,
      backoff: this.#options.backoff,
      random: this.#options.random,
      heartbeatMs: Math.max(10, (this.#options.idleTimeoutMs ?? 120_000) / 4),
      beat: () => this.#beat(),
      refreshMarkets: () => this.refreshMarkets(),
      ready: () => this.#symbols.length > 0,
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
    // what a previous connection left (the machine closes nothing when it fails before its first data)
    this.#close();
    const generation = ++this.#generation;
    this.#lastActivity = Date.now();
    const per = Math.max(1, this.#options.marketsPerWatch ?? 100);
    const book = (this.#options.book ?? true) && this.#ex.has['watchBidsAsks'] === true;
    for (let i = 0; i < this.#symbols.length; i += per) {
      const group = this.#symbols.slice(i, i + per);
      void this.#watch(generation, 'trades', group);
      if (book) void this.#watch(generation, 'book', group);
    }
  }

  /**
   * Ends this connection's sockets at once and forgets them, so the next watch dials afresh: a polite
   * close waits for the server's answer (30 s on a silent server), and ccxt would hand the closing
   * socket to the next watch call meanwhile. Pending watches fail with ccxt's NetworkError.
   */
  #close(): void {
    this.#generation++;
    const clients = (this.#ex as unknown as { clients?: Record<string, { connection?: { terminate?: () => void } } | undefined> }).clients ?? {};
    for (const [url, client] of Object.entries(clients)) {
      delete clients[url];
      client?.connection?.terminate?.();
    }
    // No socket is left, so no stream carries a subscription: Binance-style bookkeeping of which socket
    // carries which watch call starts over (it only counts up, and refuses past 200 a socket).
    const options = this.#ex.options as Record<string, unknown>;
    if ('streamBySubscriptionsHash' in options) options['streamBySubscriptionsHash'] = {};
    if ('numSubscriptionsByStream' in options) options['numSubscriptionsByStream'] = {};
    if ('streamIndex' in options) options['streamIndex'] = -1;
  }

  async #watch(generation: number, what: 'trades' | 'book', symbols: MarketSymbol[]): Promise<void> {
    try {
      while (generation === this.#generation) {
        if (what === 'trades') {
          const trades = await this.#ex.watchTradesForSymbols(symbols);
          if (generation !== this.#generation) return;
          this.#arrived();
          // ccxt's per-market caches where the exchange keeps them (see #drainTrades), else what the call gave
          const caches = (this.#ex as unknown as { trades?: Record<string, readonly CcxtTrade[] | undefined> }).trades;
          const first = trades[0]?.symbol;
          if (first !== undefined && Array.isArray(caches?.[first])) for (const symbol of symbols) this.#drainTrades(symbol, caches?.[symbol]);
          else for (const t of trades) this.#onTrade(t);
        } else {
          const tickers = await this.#ex.watchBidsAsks(symbols);
          if (generation !== this.#generation) return;
          this.#arrived();
          // the same for the book tops: the newest of each market of the group, if not emitted yet
          const latest = (this.#ex as unknown as { bidsasks?: Record<string, Record<string, unknown> | undefined> }).bidsasks;
          if (latest) {
            for (const symbol of symbols) {
              const t = latest[symbol];
              if (t !== undefined && this.#lastQuote.get(symbol) !== t) this.#onQuote(t);
            }
          } else for (const t of Object.values(tickers)) this.#onQuote(t as unknown as Record<string, unknown>);
        }
      }
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#generation++;
      this.#run?.actor.send({ type: 'connection.closed', reason: error instanceof Error ? error.message.slice(0, 200) : String(error) });
    }
  }

  #arrived(): void {
    this.#counters.frames++;
    this.#lastActivity = Date.now();
    const actor = this.#run?.actor;
    // ccxt opens the socket inside its watch calls: the first data is both the open and the live feed.
    if (actor?.getSnapshot().value === 'connecting') {
      actor.send({ type: 'connection.opened' });
      actor.send({ type: 'connection.live' });
    }
  }

  #beat(): void {
    const actor = this.#run?.actor;
    const state = actor?.getSnapshot().value;
    if (state !== 'open' && state !== 'connecting') return;
    if (Date.now() - this.#lastActivity > (this.#options.idleTimeoutMs ?? 120_000)) {
      this.#counters.stalls++;
      actor?.send({ type: 'connection.stalled' });
    }
  }

  /**
   * Emits the trades of one market's ccxt cache that came after the last one emitted. The watch call
   * itself hands over one market's trades per wake-up (the first of its per-market futures to resolve):
   * frames of other markets read in the same socket chunk resolve futures nobody awaits any more, and
   * their trades would wait in the cache for that market's next wake-up, never coming while another
   * market's frame always arrives first (seen on a loaded machine: one market of three silent for a
   * minute). Reading every market's cache at each wake-up emits them at once. The cache is append-only
   * (its oldest trades dropped past its limit), so everything after the last trade emitted is new, and
   * everything in it is new once that trade has left it.
   */
  #drainTrades(symbol: MarketSymbol, cache: readonly CcxtTrade[] | undefined): void {
    if (cache === undefined || cache.length === 0) return;
    const last = this.#lastTrade.get(symbol);
    if (cache[cache.length - 1] === last) return;
    let from = cache.length - 1;
    while (from > 0 && cache[from - 1] !== last) from--;
    for (let i = from; i < cache.length; i++) this.#onTrade(cache[i] as CcxtTrade);
    this.#lastTrade.set(symbol, cache[cache.length - 1] as CcxtTrade);
  }

  #onTrade(t: CcxtTrade): void {
    const market = t.symbol;
    const ts = t.timestamp;
    const price = t.price;
    const amount = t.amount;
    if (market === undefined || typeof ts !== 'number' || typeof price !== 'number' || !(price > 0) || typeof amount !== 'number' || !(amount >= 0)) {
      this.#counters.malformed++;
      return;
    }
    const id = typeof t.id === 'string' && /^\d{1,15}$/.test(t.id) ? Number(t.id) : undefined;
    if (id !== undefined) {
      const last = this.#lastId.get(market);
      if (last !== undefined && id <= last) {
        this.#counters.duplicates++;
        return;
      }
      if (last !== undefined && id > last + 1 && this.#ex.id.startsWith('binance')) this.#counters.gaps += id - last - 1;
      this.#lastId.set(market, id);
    }
    const side = t.side === 'buy' || t.side === 'sell' ? t.side : undefined;
    this.#emit({ kind: 'trade', market, ts, price, amount, ...(side ? { side } : {}), ...(id !== undefined ? { id } : {}) });
  }

  #onQuote(q: Record<string, unknown>): void {
    const market = q['symbol'];
    if (typeof market === 'string') this.#lastQuote.set(market, q);
    const bid = q['bid'];
    const ask = q['ask'];
    if (typeof market !== 'string' || typeof bid !== 'number' || typeof ask !== 'number' || !(bid > 0) || !(ask > 0)) {
      this.#counters.malformed++;
      return;
    }
    const ts = typeof q['timestamp'] === 'number' ? q['timestamp'] : Date.now();
    const bidSize = typeof q['bidVolume'] === 'number' ? q['bidVolume'] : 0;
    const askSize = typeof q['askVolume'] === 'number' ? q['askVolume'] : 0;
    this.#emit({ kind: 'book', market, ts, bidPrice: bid, bidSize, askPrice: ask, askSize });
  }

  #emit(event: MarketEvent): void {
    this.#counters.events++;
    this.#out.next(event);
  }
}
