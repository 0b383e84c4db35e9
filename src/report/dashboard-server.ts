import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TradingEngine } from '../engine/index.js';
import { PerformanceTracker } from './performance.js';
import { positionMachine } from '../../machines/index.js';
import { DashboardState, eventDetail, type HealthView, type StatsSource } from './dashboard-state.js';
import { readPageAssets, type PageAsset, type PageRoute } from './page-assets.js';
import { watchPositions } from './position-transitions.js';
import { statechartOf, statechartSvg } from './statechart.js';

/** Something that reports a health status now and on change (an rxjs Observable fits). */
export interface HealthFeed {
  subscribe(next: (health: { readonly status: string; readonly reason?: string; readonly ts?: number }) => void): { unsubscribe(): void };
}

export interface DashboardAttachOptions {
  /** `backtest`, `paper` or `live`. Controls are off by default in `live`. */
  readonly mode?: 'backtest' | 'paper' | 'live';
  readonly title?: string;
  readonly quote?: string;
  /** The run's statistics (a backtest's `run.tracker`); without it the server listens with its own tracker from now on. */
  readonly tracker?: StatsSource;
  /** Start/pause/stop buttons. Default: on, except in live mode (there only when set to true). */
  readonly controls?: boolean;
  /** Account balances (the exchange's `getBalances`). */
  readonly balances?: () => readonly { readonly currency: string; readonly free: number; readonly locked: number }[];
  readonly health?: { readonly exchange?: HealthFeed; readonly redis?: HealthFeed };
}

export interface DashboardStartOptions {
  /** 0 (default): any free port. */
  readonly port?: number;
  /** Loopback only: `127.0.0.1` (default), `localhost` or `::1`. */
  readonly host?: string;
  /** Least wall time between two updates sent to a page. */
  readonly intervalMs?: number;
}

type ControlAction = 'start' | 'pause' | 'stop';

interface Client {
  readonly ws: WebSocket;
  coin: string | undefined;
  sent: number;
  /** A view was sent and the page has not acknowledged rendering it yet (flow control: one view in flight). */
  inFlight: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const STATECHART = (() => {
  const chart = statechartOf(positionMachine);
  return { chart, svg: statechartSvg(chart) };
})();

/**
 * The dashboard of one engine process: HTTP (the page, its scripts and the charting library read from
 * node_modules; `/api/view` as JSON) and a websocket (`/ws`) pushing the state model's view to every
 * page, at most every `intervalMs`, only when it changed, and one at a time: a page acknowledges each view
 * once drawn (`{type:'ack'}`), so a slow page skips to the newest view instead of queueing old ones.
 * Pages also send `{type:'select', coin}` and,
 * when enabled, `{type:'control', action:'start'|'pause'|'stop'}`. Listens on loopback only; requests
 * whose Host or Origin is not this server are refused (no DNS rebinding, no cross-site websocket).
 */
export class DashboardServer {
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #assets: ReadonlyMap<PageRoute, PageAsset> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #state: DashboardState | undefined;
  #engine: TradingEngine | undefined;
  #detach: (() => void)[] = [];
  #beforeView: (() => void) | undefined;
  readonly #clients = new Set<Client>();
  #port = 0;
  #url = '';

  get url(): string {
    return this.#url;
  }

  get state(): DashboardState | undefined {
    return this.#state;
  }

  async start(options: DashboardStartOptions = {}): Promise<string> {
    if (this.#server) return this.#url;
    const host = options.host ?? '127.0.0.1';
    if (!LOOPBACK.has(host)) throw new Error(`dashboard: host must be a loopback address (127.0.0.1, localhost, ::1), got ${host}`);
    this.#assets = await readPageAssets();
    const server = createServer((req, res) => this.#onRequest(req, res));
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws' || !this.#sameOrigin(req)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    this.#server = server;
    this.#wss = wss;
    this.#port = (server.address() as AddressInfo).port;
    this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${this.#port}/`;
    this.#timer = setInterval(() => this.flush(), options.intervalMs ?? 250);
    this.#timer.unref();
    return this.#url;
  }

  /** Follows an engine: its listener calls, feature batches, bot snapshots and position actors. */
  attach(engine: TradingEngine, options: DashboardAttachOptions = {}): DashboardState {
    this.detach();
    const mode = options.mode ?? 'backtest';
    const controls = options.controls ?? mode !== 'live';
    let stats = options.tracker;
    let active = true;
    if (!stats) {
      const tracker = new PerformanceTracker();
      engine.listen({
        onDecision: (d) => active && tracker.onDecision(d),
        onOrderEvent: (e) => active && tracker.onOrderEvent(e),
        onPositionSettled: (r, regime) => active && tracker.onPositionSettled(r, regime),
        onEquity: (ts, equity, invested) => active && tracker.onEquity(ts, equity, invested),
        onRanking: (r) => active && tracker.onRanking(r),
      });
      stats = tracker;
    }
    const state = new DashboardState({
      title: options.title ?? `coinrx ${mode}`,
      mode,
      quote: options.quote ?? 'KRW',
      stats,
      controls: controls ? { enabled: true, reason: '' } : { enabled: false, reason: 'controls are off in live mode (attach with controls: true to enable)' },
      statechart: STATECHART,
    });
    engine.listen({
      onDecision: (d) => active && state.onDecision(d),
      onOrderEvent: (e) => active && state.onOrderEvent(e),
      onEquity: (ts, equity, invested) => active && state.onEquity(ts, equity, invested),
      onRanking: (r) => active && state.onRanking(r),
    });
    const batches = engine.pipeline.batches$.subscribe((batch) => state.onFeatures(batch));
    const botSnapshot = (s: { value: unknown; context: { stopReason?: string | undefined; equity?: number; peakEquity?: number } }): void =>
      state.onBot({ state: String(s.value), stopReason: s.context.stopReason, equity: s.context.equity ?? 0, peakEquity: s.context.peakEquity ?? 0 });
    botSnapshot(engine.bot.getSnapshot());
    const bot = engine.bot.subscribe((s) => botSnapshot(s));
    const positions = watchPositions(engine.bot, state, eventDetail);
    const health: { unsubscribe(): void }[] = [];
    if (options.health?.exchange) health.push(options.health.exchange.subscribe((h) => state.setHealth('exchange', { status: h.status, reason: h.reason ?? '', ...(h.ts !== undefined ? { ts: h.ts } : {}) })));
    else state.setHealth('exchange', { status: mode === 'live' ? 'unknown' : 'simulated', reason: mode === 'live' ? 'no health feed attached' : 'simulated exchange (no connection)' });
    if (options.health?.redis) health.push(options.health.redis.subscribe((h) => state.setHealth('redis', { status: h.status, reason: h.reason ?? '', ...(h.ts !== undefined ? { ts: h.ts } : {}) })));
    else state.setHealth('redis', { status: 'unknown', reason: 'no store attached (in-memory or none)' } satisfies HealthView);
    this.#beforeView = () => {
      state.setPositionDetails(engine.openPositions().map((p) => ({ positionId: p.positionId, market: p.market, state: p.state, amount: p.amount, entryPrice: p.entryPrice, entryTs: p.entryTs, orderPrice: p.orderPrice })));
      if (options.balances) state.setBalances(options.balances());
    };
    this.#detach = [
      () => {
        active = false;
      },
      () => batches.unsubscribe(),
      () => bot.unsubscribe(),
      () => positions.unsubscribe(),
      ...health.map((h) => () => h.unsubscribe()),
    ];
    this.#state = state;
    this.#engine = engine;
    return state;
  }

  /** Stops following the engine (the last view stays on the pages). */
  detach(): void {
    for (const d of this.#detach) d();
    this.#detach = [];
    this.#engine = undefined;
    if (this.#state) this.#state.setControls({ enabled: false, reason: 'the engine is detached' });
  }

  /** Sends the current view to every page whose view is out of date (the timer calls it too). */
  flush(): void {
    const state = this.#state;
    if (!state || this.#clients.size === 0) return;
    this.#beforeView?.();
    const cache = new Map<string, string>();
    for (const client of this.#clients) {
      if (client.inFlight || client.sent === state.version || client.ws.readyState !== client.ws.OPEN) continue;
      const key = client.coin ?? '';
      let text = cache.get(key);
      if (text === undefined) {
        text = JSON.stringify({ type: 'view', view: state.view({ coin: client.coin }) });
        cache.set(key, text);
      }
      client.sent = state.version;
      client.inFlight = true;
      client.ws.send(text);
    }
  }

  async close(): Promise<void> {
    this.detach();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const c of this.#clients) c.ws.terminate();
    this.#clients.clear();
    this.#wss?.close();
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  #sameOrigin(req: IncomingMessage): boolean {
    const hosts = [`127.0.0.1:${this.#port}`, `localhost:${this.#port}`, `[::1]:${this.#port}`];
    if (!hosts.includes(req.headers.host ?? '')) return false;
    const origin = req.headers.origin;
    return origin === undefined || hosts.some((h) => origin === `http://${h}`);
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!this.#sameOrigin(req)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: this dashboard answers on its loopback address only\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'" };
    if (url.pathname === '/api/view') {
      this.#beforeView?.();
      const view = this.#state?.view({ coin: url.searchParams.get('coin') ?? undefined }) ?? null;
      res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(view));
      return;
    }
    const asset = this.#assets?.get((url.pathname === '/index.html' ? '/' : url.pathname) as PageRoute);
    if (!asset) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': asset.type }).end(req.method === 'HEAD' ? undefined : asset.body);
  }

  #onConnection(ws: WebSocket): void {
    const client: Client = { ws, coin: undefined, sent: -1, inFlight: false };
    this.#clients.add(client);
    ws.on('close', () => this.#clients.delete(client));
    ws.on('error', () => this.#clients.delete(client));
    ws.on('message', (data) => {
      let message: { type?: unknown; coin?: unknown; action?: unknown };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        return;
      }
      if (message.type === 'ack') {
        client.inFlight = false;
        this.flush();
      } else if (message.type === 'select') {
        client.coin = typeof message.coin === 'string' ? message.coin : undefined;
        client.sent = -1;
        this.flush();
      } else if (message.type === 'control') {
        const result = this.control(String(message.action));
        ws.send(JSON.stringify({ type: 'control-result', ...result }));
      }
    });
    ws.send(JSON.stringify({ type: 'hello', kind: 'live' }));
    this.flush();
  }

  /** Start (or resume), pause or stop the bot, when the controls are enabled. */
  control(action: string): { ok: boolean; message: string } {
    const engine = this.#engine;
    const state = this.#state;
    if (!engine || !state) return { ok: false, message: 'no engine attached' };
    const controls = state.controls;
    if (!controls.enabled) return { ok: false, message: controls.reason || 'controls are disabled' };
    if (!(['start', 'pause', 'stop'] as const).includes(action as ControlAction)) return { ok: false, message: `unknown action ${action}` };
    const before = String(engine.bot.getSnapshot().value);
    // A replay whose data has ended has nothing to trade on: Start would only pretend to restart it.
    if (action === 'start' && (engine.bot.getSnapshot().context as { stopReason?: string }).stopReason === 'end of data') return { ok: false, message: 'end of data: the replay has ended' };
    if (action === 'start') engine.bot.send(before === 'paused' ? { type: 'bot.resume' } : { type: 'bot.start' });
    else if (action === 'pause') engine.bot.send({ type: 'bot.pause' });
    else engine.bot.send({ type: 'bot.stop', reason: 'stopped from the dashboard' });
    const after = String(engine.bot.getSnapshot().value);
    this.flush();
    return after === before ? { ok: false, message: `${action}: the bot stays ${after}` } : { ok: true, message: `${action}: ${before} → ${after}` };
  }
}
