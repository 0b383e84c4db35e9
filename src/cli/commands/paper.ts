import { createBacktest } from '../../engine/backtest.js';
import { configuredAgent, configuredScorer } from '../../engine/configured-models.js';
import { storeFromConfig } from '../../store/index.js';
import { fetchUpbitMarketCodes } from '../../exchange/upbit/index.js';
import { UsageError } from '../args.js';
import { CONFIG_FLAGS, type Command } from '../command.js';
import { DASHBOARD_FLAG, EXCHANGE_URL_FLAGS, exchangeUrls, portFlag } from './live-flags.js';
import { runLiveSession } from './live-session.js';
import { commandConfig, durationFlag } from './replay-input.js';

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
    ...EXCHANGE_URL_FLAGS,
    dashboard: DASHBOARD_FLAG,
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = commandConfig(args, io);
    if (config.exchange.id !== 'upbit') throw new UsageError(`paper trading supports exchange.id "upbit" for now, not "${config.exchange.id}"`);
    const { restUrl, wsUrl } = exchangeUrls(args);
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
    const score = await configuredScorer(config);
    const agent = await configuredAgent(config);
    const store = storeFromConfig(config);
    return runLiveSession({
      io,
      label: 'paper',
      config,
      quote,
      out,
      forMs,
      restUrl,
      wsUrl,
      store,
      ...(args.strings.has('dashboard') ? { dashboardPort: portFlag(args.strings.get('dashboard')) } : {}),
      source: { live: 'upbit', exchange: 'simulated', restUrl, wsUrl },
      start: (ts) => createBacktest(config, quote, ts, undefined, undefined, { canOpenPositions: () => store.health.status === 'ok', observeTransitions: store.backend === 'redis', ...(score ? { score } : {}), ...(agent ? { strategy: agent } : {}) }),
    });
  },
};
