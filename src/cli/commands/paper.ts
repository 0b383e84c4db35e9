import type { MarketEvent } from '../../core/index.js';
import { createBacktest } from '../../engine/backtest.js';
import { writeBacktestOutput } from '../../engine/backtest-output.js';
import { recordToStore } from '../../engine/store-recorder.js';
import { storeFromConfig } from '../../store/index.js';
import { fetchUpbitMarketCodes, UPBIT_REST_URL, UPBIT_WS_URL, UpbitMarketFeed } from '../../exchange/upbit/index.js';
import { UsageError } from '../args.js';
import { CONFIG_FLAGS, type Command } from '../command.js';
import { summaryLines } from './backtest-summary.js';
import { commandConfig, durationFlag } from './replay-input.js';

const STATUS_EVERY_MS = 10_000;

/**
 * Paper trading: live public Upbit market data (no keys), the same engine as the backtest and the
 * simulated exchange with Upbit's KRW rules. Live events are fed in arrival order; one that carries an
 * exchange time older than the last one fed is fed at that last time (the engine's clock never goes back).
 */
export const paperCommand: Command = {
  name: 'paper',
  summary: 'paper trading on live Upbit data (no keys, no real orders); Ctrl-C stops and writes the report',
  examples: ['coinrx paper', 'coinrx paper --for 2h --out out/paper', 'coinrx paper --set ranking.top=5 --set allocation.maxPositions=3'],
  flags: {
    for: { type: 'string', valueName: 'duration', description: 'stop after this long (default: until Ctrl-C)' },
    out: { type: 'string', valueName: 'dir', description: 'report folder written on stop (default: out/paper)' },
    'rest-url': { type: 'string', valueName: 'url', description: `Upbit REST base (default ${UPBIT_REST_URL})` },
    'ws-url': { type: 'string', valueName: 'url', description: `Upbit websocket (default ${UPBIT_WS_URL})` },
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = commandConfig(args, io);
    if (config.exchange.id !== 'upbit') throw new UsageError(`paper trading supports exchange.id "upbit" for now, not "${config.exchange.id}"`);
    const restUrl = args.strings.get('rest-url') ?? UPBIT_REST_URL;
    const wsUrl = args.strings.get('ws-url') ?? UPBIT_WS_URL;
    const forMs = durationFlag(args, 'for');
    const out = args.strings.get('out') ?? 'out/paper';
    const quote = config.exchange.quote;

    let codes: string[];
    try {
      codes = await fetchUpbitMarketCodes(quote, { restUrl, timeoutMs: 5_000, retry: { attempts: 2, initialDelayMs: 500, signal: io.signal } });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      io.stderr.write(`coinrx paper: cannot reach Upbit at ${restUrl} (${(error as Error).message}${cause ? `: ${cause}` : ''}); paper trading needs live market data — for the offline twin run: npm run demo\n`);
      return 1;
    }
    const markets = config.exchange.markets.length > 0 ? config.exchange.markets : undefined;
    io.stderr.write(`paper: ${markets?.length ?? codes.length} ${quote} markets, simulated balance ${config.simulator.initialBalance} ${quote}; Ctrl-C stops and writes ${out}/\n`);

    // With REDIS_URL: position snapshots, the event log and the monitor channels (`coinrx monitor`).
    const store = storeFromConfig(config);
    const healthLog = store.health$.subscribe((h) => io.stderr.write(`paper: store ${store.backend} ${h.status} (${h.reason})\n`));
    const feed = new UpbitMarketFeed({ quote, restUrl, wsUrl, ...(markets ? { markets } : {}) });
    let run: ReturnType<typeof createBacktest> | undefined;
    let lastTs = -Infinity;
    let events = 0;
    let from: number | undefined;
    let top: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      io.signal.addEventListener('abort', () => resolve(), { once: true });
      if (forMs !== undefined) timer = setTimeout(resolve, forMs);
    });
    const connection = feed.connection$.subscribe((s) => io.stderr.write(`paper: connection ${s.state}${s.reason ? ` (${s.reason})` : ''}${s.state === 'backoff' ? `, retry in ${Math.round(s.delayMs)} ms` : ''}\n`));
    const subscription = feed.events$.subscribe((raw: MarketEvent) => {
      const event = raw.ts < lastTs ? { ...raw, ts: lastTs } : raw;
      lastTs = event.ts;
      if (!run) {
        run = createBacktest(config, quote, event.ts, undefined, undefined, { canOpenPositions: () => store.health.status === 'ok', observeTransitions: store.backend === 'redis' });
        if (store.backend === 'redis') recordToStore(run.engine, store);
        from = event.ts;
        run.engine.listen({
          onRanking: (r) => (top = r.ranking.slice(0, 3).map((e) => e.market)),
          onOrderEvent: (e) => {
            if (e.type === 'order.fill') io.stdout.write(`${new Date(e.ts).toISOString()} fill ${e.fill.side} ${e.fill.amount} ${e.fill.market} @ ${e.fill.price}\n`);
          },
        });
      }
      run.feed(event);
      events++;
    });
    const status = setInterval(() => {
      const equity = run?.engine.equity().equity ?? config.simulator.initialBalance;
      const s = feed.stats();
      io.stderr.write(`paper: ${events} events, ${s.markets} markets, equity ${equity.toFixed(0)} ${quote}, open ${run?.engine.openPositions().length ?? 0}, top ${top.join(' ') || '-'}, reconnects ${s.reconnects}, malformed ${s.malformed}\n`);
    }, STATUS_EVERY_MS);

    await done;
    clearTimeout(timer);
    clearInterval(status);
    subscription.unsubscribe();
    connection.unsubscribe();
    healthLog.unsubscribe();
    await store.close(2_000);
    if (!run) {
      io.stderr.write('paper: no market data arrived; nothing to report\n');
      return io.signal.aborted ? 130 : 1;
    }
    const { open } = run.engine.finish();
    const result = {
      quote,
      events,
      span: from === undefined ? undefined : { from, to: lastTs },
      summary: run.tracker.summary(),
      tracker: run.tracker,
      open,
      balances: Object.fromEntries(run.exchange.getBalances().map((b) => [b.currency, { free: b.free, locked: b.locked }])),
    };
    await writeBacktestOutput(out, result, config, undefined, { live: 'upbit', restUrl, wsUrl, feed: feed.stats() });
    io.stdout.write(`${summaryLines(result, out).join('\n')}\n`);
    return io.signal.aborted ? 130 : 0;
  },
};
