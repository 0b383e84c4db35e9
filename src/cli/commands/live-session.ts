import { map } from 'rxjs';
import type { Config } from '../../config.js';
import type { MarketEvent } from '../../core/index.js';
import { writeBacktestOutput } from '../../engine/backtest-output.js';
import type { Kernel } from '../../engine/kernel.js';
import type { MarketFeed } from '../../market-data/live/market-feed.js';
import type { Store } from '../../store/index.js';
import type { CommandIo } from '../command.js';
import { summaryLines } from './backtest-summary.js';
import { RejectLog } from './reject-log.js';

/** How long a stop waits for the answers to the orders still in flight. */
const STOP_DRAIN_MS = 5_000;

const STATUS_EVERY_MS = 10_000;
/**
 * A market event stamped more than an hour ahead of the wall clock is dropped: fed, it would move the
 * kernel's event time (which never goes back) into the future, and no feature batch, so no decision,
 * would close until the wall clock caught up with it.
 */
export const FUTURE_TOLERANCE_MS = 3_600_000;

export interface LiveSessionOptions {
  readonly io: CommandIo;
  readonly label: 'paper' | 'live';
  readonly config: Config;
  readonly quote: string;
  readonly out: string;
  readonly forMs: number | undefined;
  /** The live market data (Upbit's own websocket, or any ccxt.pro exchange). */
  readonly feed: MarketFeed;
  readonly store: Store;
  /** The node's kernel (it records to the store itself), made when the first market event arrives unless `eager`. */
  start(firstTs: number): Kernel;
  /** Build the kernel before any market event (live: the restart's reconciliation needs it); default: at the first event. */
  readonly eager?: boolean;
  /** Written into summary.json as the run's source. */
  readonly source: Record<string, unknown>;
  /** Serve the dashboard on this loopback port (0: any free one). */
  readonly dashboardPort?: number;
  /**
   * Live: re-reads the account's balances from the exchange before the report is written. Between reads
   * the balance view is an estimate moved by each fill (once: docs/restart.md "Balances at a stop"), and a
   * fill it could not place against the last read counts only from the next one (500 ms later); a stop
   * right after the last sell must report what the exchange holds.
   */
  readonly rereadBalances?: () => Promise<void>;
}

/**
 * Live market data into a node's kernel until Ctrl-C or `forMs`: fills printed as they happen, a status
 * line every 10 s, the dashboard, and the report written on stop. Events are fed in arrival order (the
 * kernel feeds one older than the last at that last time: its clock never goes back).
 */
export async function runLiveSession(o: LiveSessionOptions): Promise<number> {
  const { io, config, quote, store, label } = o;
  const healthLog = store.health$.subscribe((h) => io.stderr.write(`${label}: store ${store.backend} ${h.status} (${h.reason})\n`));
  const feed = o.feed;
  const dashboard = o.dashboardPort === undefined ? undefined : await (await import('../../report/start-dashboard.js')).startDashboard(undefined, { port: o.dashboardPort, log: (l) => io.stderr.write(l) });
  let session: Kernel | undefined;
  let lastTs = -Infinity;
  let events = 0;
  let future = 0;
  let from: number | undefined;
  let top: string[] = [];
  const rejects = new RejectLog(label);
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    io.signal.addEventListener('abort', () => resolve(), { once: true });
    if (o.forMs !== undefined) timer = setTimeout(resolve, o.forMs);
  });
  const connection = feed.connection$.subscribe((s) => io.stderr.write(`${label}: connection ${s.state}${s.reason ? ` (${s.reason})` : ''}${s.state === 'backoff' ? `, retry in ${Math.round(s.delayMs)} ms` : ''}\n`));
  const begin = (ts: number): Kernel => {
    {
      session = o.start(ts);
      const exchange = session.venue;
      dashboard?.attach(session.engine, {
        mode: label,
        quote,
        tracker: session.tracker,
        balances: () => exchange.getBalances(),
        health: { exchange: feed.connection$.pipe(map((c) => ({ status: c.state === 'open' ? 'ok' : 'degraded', reason: c.reason ?? c.state }))), redis: store.health$ },
      });
      session.engine.listen({
        onRanking: (r) => (top = r.ranking.slice(0, 3).map((e) => e.market)),
        onOrderEvent: (e) => {
          // 12 significant digits: a simulated fill's last part is what the order's float arithmetic left
          // (7.410000000000004), and a live fill's price is its cost over its amount (16.370700000000003)
          if (e.type === 'order.fill') io.stdout.write(`${new Date(e.ts).toISOString()} fill ${e.fill.side} ${Number(e.fill.amount.toPrecision(12))} ${e.fill.market} @ ${Number(e.fill.price.toPrecision(12))}\n`);
          if (e.type === 'order.rejected') {
            const line = rejects.line(e);
            if (line) io.stderr.write(line);
          }
        },
      });
    }
    return session;
  };
  // Live trading builds its engine at once: the restart procedure runs before the first market event.
  if (o.eager) begin(Date.now());
  const subscription = feed.events$.subscribe((event: MarketEvent) => {
    if (event.ts > Date.now() + FUTURE_TOLERANCE_MS) {
      if (future++ === 0) io.stderr.write(`${label}: dropped a ${event.kind} of ${event.market} stamped ${new Date(event.ts).toISOString()}, more than ${FUTURE_TOLERANCE_MS / 60_000} minutes ahead of this machine's clock (counted as "future" in the status line)\n`);
      return;
    }
    if (event.ts > lastTs) lastTs = event.ts;
    from ??= event.ts;
    (session ?? begin(event.ts)).feed(event);
    events++;
  });
  const status = setInterval(() => {
    const equity = session?.engine.equity().equity;
    const s = feed.stats();
    io.stderr.write(`${label}: ${events} events, ${s.markets} markets, equity ${equity === undefined ? '-' : equity.toFixed(0)} ${quote}, open ${session?.engine.openPositions().length ?? 0}, top ${top.join(' ') || '-'}, reconnects ${s.reconnects}, malformed ${s.malformed}${future > 0 ? `, future ${future}` : ''}${rejects.bannedRejects > 0 ? `, banned ${rejects.bannedRejects}` : ''}${session ? gateStatus(session) : ''}\n`);
  }, STATUS_EVERY_MS);

  await done;
  clearTimeout(timer);
  clearInterval(status);
  subscription.unsubscribe();
  connection.unsubscribe();
  healthLog.unsubscribe();
  if (!session || events === 0) {
    session?.engine.finish();
    await dashboard?.close();
    await store.close(2_000);
    io.stderr.write(`${label}: no market data arrived; nothing to report\n`);
    return io.signal.aborted ? 130 : 1;
  }
  // Orders in flight at the stop (the last batch's sells, the stop's cancels) are answered before the
  // session stops listening and closes its store: a fill answered later would be recorded only at the next start.
  const { open, unanswered } = await session.engine.finishDraining(STOP_DRAIN_MS);
  if (unanswered > 0) io.stderr.write(`${label}: ${unanswered} order request(s) unanswered ${STOP_DRAIN_MS / 1000} s after the stop; the next start looks them up\n`);
  if (o.rereadBalances) {
    const reread = await withinMs(o.rereadBalances(), STOP_DRAIN_MS);
    if (reread !== true) io.stderr.write(`${label}: balances not re-read at the stop (${reread}); the report gives the last known view\n`);
  }
  await dashboard?.close();
  await store.close(2_000);
  const result = {
    quote,
    events,
    span: from === undefined ? undefined : { from, to: lastTs },
    summary: { ...session.tracker.summary(), orphanOrderEvents: session.engine.orphanOrderEvents },
    tracker: session.tracker,
    open,
    balances: Object.fromEntries(session.venue.getBalances().map((b) => [b.currency, { free: b.free, locked: b.locked }])),
  };
  await writeBacktestOutput(o.out, result, config, undefined, { ...o.source, feed: feed.stats() });
  io.stdout.write(`${summaryLines(result, o.out).join('\n')}\n`);
  return io.signal.aborted ? 130 : 0;
}

/** true when the promise settles within `ms`; otherwise why not (its error, or the time-out). */
async function withinMs(p: Promise<void>, ms: number): Promise<true | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${ms / 1000} s`), ms)));
  try {
    return await Promise.race([p.then(() => true as const, (error: unknown) => (error as Error).message.slice(0, 200)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The entry gate in the status line, once it has judged a BUY: a session that buys nothing for hours says
 * why (too few paper trades closed yet, no edge after fees, the regime filter), not only that it holds cash.
 * Why is the gate's own (GateRecord.lastHold), not judged again here.
 */
export function gateStatus(kernel: Pick<Kernel, 'gate' | 'config'>): string {
  const { estimate: e, lastHold } = kernel.gate;
  if (e === undefined) return lastHold === 'regime' ? ', gate shut: the market breadth is under the regime filter (cash)' : '';
  const minTrades = kernel.config.strategy.gate.minTrades;
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} %`;
  if (lastHold === 'paper-trades') return `, gate ${e.trades}/${minTrades} paper trades closed (cash until ${minTrades})`;
  const expect = `the last ${e.trades} paper trades expect ${pct(e.expected)} a trade after fees`;
  if (lastHold === 'no-edge') return `, gate shut: ${expect} (cash)`;
  if (lastHold === 'regime') return `, gate shut: the market breadth is under the regime filter; ${expect} (cash)`;
  return `, gate open: ${expect}`;
}
