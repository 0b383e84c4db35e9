import { configuredAgent, configuredScorer, rankerRuleNote } from '../../engine/configured-models.js';
import { connectLiveExchange, liveKeys, liveNode, LiveStartError } from '../../engine/nodes/live-node.js';
import { warmUp } from '../../engine/warm-up.js';
import { UsageError } from '../args.js';
import { TRADING_CONFIG_FLAGS, type Command } from '../command.js';
import { DASHBOARD_FLAG, EXCHANGE_URL_FLAGS, exchangeOverrides, exchangeUrls, portFlag } from './live-flags.js';
import { openLiveMarket } from './live-market.js';
import { runLiveSession } from './live-session.js';
import { durationFlag } from './replay-input.js';
import { profileLine, tradingConfig } from '../default-profile.js';
import { STRATEGY_FLAGS, strategyFromArgs } from '../strategy-flag.js';

/**
 * Live trading on Upbit or any ccxt.pro exchange (`exchange.id`): real orders with real money, through
 * the ccxt adapter. Keys only from the environment (Upbit: UPBIT_ACCESS_KEY / UPBIT_SECRET_KEY; others:
 * <ID>_API_KEY / <ID>_SECRET, and <ID>_PASSWORD where the exchange needs one); `--live` is required. Before any order the account is reconciled: open orders the bot
 * did not place and holdings other than the quote currency are reported and left untouched — the bot
 * trades its cash only.
 */
export const liveCommand: Command = {
  name: 'live',
  summary: 'live trading with REAL orders (Upbit keys from UPBIT_ACCESS_KEY / UPBIT_SECRET_KEY, others from <ID>_API_KEY / <ID>_SECRET; needs --live)',
  examples: [
    'UPBIT_ACCESS_KEY=… UPBIT_SECRET_KEY=… coinrx live --live --set allocation.maxPositions=2',
    'BINANCE_API_KEY=… BINANCE_SECRET=… coinrx live --live --set exchange.id=binance --set exchange.quote=USDT',
  ],
  flags: {
    live: { type: 'boolean', description: 'confirm that real orders are to be placed' },
    for: { type: 'string', valueName: 'duration', description: 'stop after this long (default: until Ctrl-C)' },
    out: { type: 'string', valueName: 'dir', description: 'report folder written on stop (default: out/live)' },
    ...EXCHANGE_URL_FLAGS,
    dashboard: DASHBOARD_FLAG,
    ...STRATEGY_FLAGS,
    ...TRADING_CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = tradingConfig(args, io);
    const id = config.exchange.id;
    const failed = (error: unknown): number => {
      if (!(error instanceof LiveStartError)) throw error;
      if (error.usage) throw new UsageError(error.message);
      io.stderr.write(`coinrx live: ${error.message}\n`);
      return 1;
    };
    let keys;
    try {
      keys = await liveKeys(config, io.env);
    } catch (error) {
      return failed(error);
    }
    if (!args.booleans.has('live')) throw new UsageError('coinrx live places REAL orders with real money; add --live to go ahead (or use coinrx paper)');
    // A broken strategy module stops here, before the exchange is contacted.
    const user = await strategyFromArgs(args, config);
    const urls = id === 'upbit' ? exchangeUrls(args) : exchangeOverrides(args);
    const quote = config.exchange.quote;
    const log = (line: string): void => void io.stderr.write(`live: ${line}\n`);
    // The code of the first batches compiled before the exchange is contacted (docs/latency.md, as paper does).
    const warm = warmUp(config, quote);
    log(`warmed the engine's code up on a throwaway simulated venue: ${warm.events} generated events, ${warm.orders} orders, ${Math.round(warm.ms)} ms`);
    let live;
    try {
      live = await connectLiveExchange({ config, keys, urls });
    } catch (error) {
      return failed(error);
    }
    const market = await openLiveMarket(config, args, io, 'live');
    if (!market) {
      await live.exchange.close();
      return 1;
    }
    // The restart procedure (src/engine/nodes/live-node.ts, then the kernel's start-up): the store (the node
    // opens the configured one and closes it) first — never an empty restore —, then the account seeded with
    // what the restored positions know, then the kernel (warming) and the look-ups of every order they wait
    // on, then the report of what no position accounts for, then trading.
    let node;
    try {
      node = await liveNode({ config, live, log });
    } catch (error) {
      await live.exchange.close();
      await market.close();
      return failed(error);
    }
    const cash = node.account.getBalance(quote);
    const a = config.allocation;
    const markets = config.exchange.markets.length > 0 ? config.exchange.markets.join(', ') : `every ${quote} market (${[...live.rules.values()].filter((r) => r.quote === quote && r.halted === undefined).length})`;
    io.stderr.write(`live: REAL orders on ${markets}; ${cash.free} ${quote} free\n`);
    io.stderr.write(profileLine('live', args, config));
    io.stderr.write(`live: limits: at most ${a.maxPositions} positions, ${a.maxPerCoin * 100}% of equity per coin, ${a.cashReserve * 100}% kept in cash; daily loss limit ${config.bot.dailyLossLimit * 100}%, max drawdown ${config.bot.maxDrawdown * 100}%; Ctrl-C stops (open buys cancelled, holdings ${config.bot.onStop === 'keep' ? 'kept' : 'sold'})\n`);
    const score = await configuredScorer(config);
    const rankNote = rankerRuleNote(config.ranking.model, score);
    if (rankNote !== undefined) io.stderr.write(`live: ${rankNote}\n`);
    const agent = await configuredAgent(config);
    const started = node;
    try {
      return await runLiveSession({
        io,
        label: 'live',
        config,
        quote,
        out: args.strings.get('out') ?? 'out/live',
        forMs: durationFlag(args, 'for'),
        feed: market.feed,
        store: node.store,
        eager: true,
        ...(args.strings.has('dashboard') ? { dashboardPort: portFlag(args.strings.get('dashboard')) } : {}),
        source: { ...market.source, exchange: id },
        rereadBalances: () => started.account.refresh(),
        start: () => started.start({ ...(score ? { scorer: score } : {}), ...(agent ? { strategy: agent } : user ? { strategy: user } : {}) }),
      });
    } finally {
      await node.close();
      await market.close();
    }
  },
};
