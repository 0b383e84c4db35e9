import { configuredStrategy } from '../../engine/backtest.js';
import { configuredAgent, configuredScorer } from '../../engine/configured-models.js';
import { TradingEngine } from '../../engine/trading-engine.js';
import { storeFromConfig } from '../../store/index.js';
import { adoptOrphanOrders, completeRestart, lastSnapshotTs, loadFillLedger, loadLiveRestore, restoredPositions, restoredOrders, StoreUnavailableError } from '../../engine/live-restore.js';
import { PerformanceTracker } from '../../report/performance.js';
import { UsageError } from '../args.js';
import { CONFIG_FLAGS, type Command } from '../command.js';
import { DASHBOARD_FLAG, EXCHANGE_URL_FLAGS, exchangeOverrides, exchangeUrls, portFlag } from './live-flags.js';
import { openLiveMarket } from './live-market.js';
import { runLiveSession } from './live-session.js';
import { commandConfig, durationFlag } from './replay-input.js';
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
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = commandConfig(args, io);
    const id = config.exchange.id;
    // ccxt is large: loaded only when live trading actually starts.
    const { CcxtExchange, LiveAccount, keyVariables } = await import('../../exchange/ccxt/index.js');
    const vars = keyVariables(id);
    const apiKey = io.env[vars.apiKey];
    const secret = io.env[vars.secret];
    const password = io.env[vars.password];
    if (!apiKey || !secret) throw new UsageError(`${vars.apiKey} and ${vars.secret} must be set for live trading on ${id} (paper trading needs no keys: npm start)`);
    if (!args.booleans.has('live')) throw new UsageError('coinrx live places REAL orders with real money; add --live to go ahead (or use coinrx paper)');
    // A broken strategy module stops here, before the exchange is contacted.
    const user = await strategyFromArgs(args, config);
    const urls = id === 'upbit' ? exchangeUrls(args) : exchangeOverrides(args);
    const where = urls.restUrl ?? `${id}'s API`;
    const quote = config.exchange.quote;
    let exchange;
    try {
      exchange = new CcxtExchange({ exchangeId: id, apiKey, secret, ...(password ? { password } : {}), ...urls });
    } catch (error) {
      throw new UsageError(`exchange.id: ${(error as Error).message}`);
    }
    let rules;
    try {
      rules = new Map((await exchange.markets()).map((r) => [r.market, r]));
    } catch (error) {
      await exchange.close();
      io.stderr.write(`coinrx live: cannot read ${id}'s markets at ${where} (${(error as Error).message.slice(0, 300)}); nothing was traded\n`);
      return 1;
    }
    const market = await openLiveMarket(config, args, io, 'live');
    if (!market) {
      await exchange.close();
      return 1;
    }
    const store = storeFromConfig(config);
    // The restart procedure (src/engine/live-restore.ts): the store first — never an empty restore —,
    // then the account seeded with what the restored positions know, then the engine (warming) and the
    // look-ups of every order they wait on, then the report of what no position accounts for, then trading.
    let restore;
    try {
      restore = await loadLiveRestore(store, { timeoutMs: config.redis.restoreWaitMs, log: (line) => io.stderr.write(`live: ${line}\n`) });
    } catch (error) {
      await store.close(500);
      await exchange.close();
      await market.close();
      if (error instanceof StoreUnavailableError) {
        io.stderr.write(`coinrx live: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    const ledger = await loadFillLedger(store);
    // Orders of this bot that no snapshot knows (killed between the order and its snapshot) are adopted:
    // those resting, and those closed with something executed, never recorded, and created after the last
    // snapshot the bot wrote (no later than now: the exchange's clock may run ahead) less ten minutes or two
    // feature batches — older orders of the bot belong to positions that were written, and settled since.
    try {
      const now = Date.now();
      const last = restore ? await lastSnapshotTs(store) : undefined;
      const since = last === undefined ? undefined : Math.min(last, now) - Math.max(600_000, 2 * config.features.every);
      const listed = {
        open: await exchange.listOpenOrders(config.exchange.markets),
        closed: since === undefined ? [] : await exchange.listClosedOrders(since, config.exchange.markets),
      };
      const adoption = adoptOrphanOrders(restore, listed, { config, ackTimeoutMs: Math.max(60_000, 3 * config.simulator.latency), now, ledger });
      restore = adoption.checkpoint;
      for (const line of adoption.lines) io.stderr.write(`live: reconciliation: ${line}\n`);
    } catch (error) {
      await store.close(500);
      await exchange.close();
      await market.close();
      io.stderr.write(`coinrx live: cannot list the open orders at ${where} (${(error as Error).message.slice(0, 300)}); nothing was traded\n`);
      return 1;
    }
    const restored = restoredPositions(restore);
    if (restore) io.stderr.write(`live: restored the bot and ${restored.length} position(s) from Redis${restored.length > 0 ? `: ${restored.map((c) => `${c.positionId} ${c.market}`).join(', ')}` : ''}\n`);
    const account = await LiveAccount.open(exchange, { quote, rules: (m) => rules.get(m), restored: restoredOrders(restore) });
    const cash = account.getBalance(quote);
    const a = config.allocation;
    const markets = config.exchange.markets.length > 0 ? config.exchange.markets.join(', ') : `every ${quote} market (${[...rules.values()].filter((r) => r.quote === quote).length})`;
    io.stderr.write(`live: REAL orders on ${markets}; ${cash.free} ${quote} free\n`);
    io.stderr.write(`live: limits: at most ${a.maxPositions} positions, ${a.maxPerCoin * 100}% of equity per coin, ${a.cashReserve * 100}% kept in cash; daily loss limit ${config.bot.dailyLossLimit * 100}%, max drawdown ${config.bot.maxDrawdown * 100}%; Ctrl-C stops (open buys cancelled, holdings ${config.bot.onStop === 'keep' ? 'kept' : 'sold'})\n`);
    const score = await configuredScorer(config);
    const agent = await configuredAgent(config);
    const fee = [...rules.values()].find((r) => r.quote === quote)?.feeRate ?? 0.0005;
    try {
      return await runLiveSession({
        io,
        label: 'live',
        config,
        quote,
        out: args.strings.get('out') ?? 'out/live',
        forMs: durationFlag(args, 'for'),
        feed: market.feed,
        store,
        ledger,
        eager: true,
        ...(args.strings.has('dashboard') ? { dashboardPort: portFlag(args.strings.get('dashboard')) } : {}),
        source: { ...market.source, exchange: id },
        start: () => {
          const engine = new TradingEngine({
            ...(restore ? { restore } : {}),
            config,
            exchange: account,
            rules: (m) => rules.get(m),
            quote,
            strategy: agent ? agent(fee) : user ? user(fee) : configuredStrategy(config, fee),
            canOpenPositions: () => store.health.status === 'ok',
            observeTransitions: store.backend === 'redis',
            positionPrefix: `${config.botId}-${Date.now().toString(36)}`,
            ...(score ? { score } : {}),
          });
          const tracker = new PerformanceTracker();
          engine.listen(tracker);
          // The engine warms up on the market data (no decision acted on) until every restored order is
          // answered for; then what no position accounts for is reported and trading starts.
          void completeRestart(engine, account, { quote, now: Date.now(), log: (line) => io.stderr.write(`live: ${line}\n`) }).then(
            () => io.stderr.write(`live: reconciled; trading\n`),
            (error: unknown) => io.stderr.write(`live: reconciliation stopped (${(error as Error).message}); not trading\n`),
          );
          return { engine, tracker, exchange: account, feed: (e) => engine.onMarketEvent(e) };
        },
      });
    } finally {
      await account.close();
      await market.close();
    }
  },
};
