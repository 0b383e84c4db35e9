import { paperNode } from '../../engine/nodes/paper-node.js';
import { configuredAgent, configuredScorer, rankerRuleNote } from '../../engine/configured-models.js';
import { TRADING_CONFIG_FLAGS, type Command } from '../command.js';
import { prepareOutputFolder } from '../output.js';
import { DASHBOARD_FLAG, EXCHANGE_URL_FLAGS, portFlag } from './live-flags.js';
import { openLiveMarket } from './live-market.js';
import { runLiveSession } from './live-session.js';
import { durationFlag } from './replay-input.js';
import { profileLine, tradingConfig } from '../default-profile.js';
import { STRATEGY_FLAGS, strategyFromArgs } from '../strategy-flag.js';

/**
 * Paper trading: live public market data (no keys) of Upbit or any ccxt.pro exchange (`exchange.id`),
 * the same engine as the backtest and the simulated exchange with the exchange's rules (Upbit's KRW
 * table; the market metadata elsewhere). Live events are fed in arrival order; one that carries an
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
    ...STRATEGY_FLAGS,
    ...TRADING_CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = tradingConfig(args, io);
    const forMs = durationFlag(args, 'for');
    const out = args.strings.get('out') ?? 'out/paper';
    prepareOutputFolder(out);
    const quote = config.exchange.quote;
    // A broken strategy module stops here, before the exchange is contacted.
    const user = await strategyFromArgs(args, config);
    const market = await openLiveMarket(config, args, io, 'paper');
    if (!market) return 1;
    io.stderr.write(`paper: ${market.markets} ${quote} markets on ${market.exchangeId}, simulated balance ${config.simulator.initialBalance} ${quote}; Ctrl-C stops and writes ${out}/\n`);
    io.stderr.write(profileLine('paper', args, config));
    // With REDIS_URL: position snapshots, the event log and the monitor channels (`coinrx monitor`).
    const score = await configuredScorer(config);
    const rankNote = rankerRuleNote(config.ranking.model, score);
    if (rankNote !== undefined) io.stderr.write(`paper: ${rankNote}\n`);
    const agent = await configuredAgent(config);
    const node = paperNode({ config, quote, ...(market.rules ? { rules: market.rules } : {}), ...(score ? { scorer: score } : {}), ...(agent ? { strategy: agent } : user ? { strategy: user } : {}) });
    try {
      return await runLiveSession({
        io,
        label: 'paper',
        config,
        quote,
        out,
        forMs,
        feed: market.feed,
        store: node.store,
        ...(args.strings.has('dashboard') ? { dashboardPort: portFlag(args.strings.get('dashboard')) } : {}),
        source: { ...market.source, exchange: 'simulated' },
        start: (firstTs) => node.start(firstTs),
      });
    } finally {
      await node.close();
      await market.close();
    }
  },
};
