import { UsageError } from '../args.js';
import { DATA_FLAGS, type Command } from '../command.js';
import { TIME_RANGE_FLAGS } from '../time-range-flags.js';

/** Flags read by some subcommands only. */
const ONLY: Readonly<Record<string, readonly string[]>> = {
  'ranker-config': ['train'],
  model: ['evaluate', 'rank', 'walk-forward'],
  fold: ['evaluate', 'walk-forward'],
  'no-backtest': ['evaluate'],
};

export const rankerCommand: Command = {
  name: 'ranker',
  summary: 'train, evaluate and run the learned ranking model (P(target before stop) with TensorFlow.js); walk-forward: the strategy against the simple rankings, fold by fold',
  examples: [
    'coinrx ranker train --data ../shared/data/candles/binance-spot-2021-5m --to 2021-02-27T12:00Z --out models/',
    'coinrx ranker train --data ../shared/data/candles/binance-spot-2021-5m --to 2021-02-27T12:00Z --redis redis://10.0.0.5:6379',
    'coinrx ranker evaluate --data ../shared/data/candles/binance-spot-2021-5m --model models/ --config config/backtest-candles.json',
    'coinrx ranker rank --data ../shared/data/candles/binance-spot-2021-5m --model models/ --config config/backtest-candles.json --out ranking.jsonl',
    'coinrx ranker walk-forward --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json --fold 14d',
    'coinrx ranker walk-forward --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json --fold 14d --choose config/walk-forward-grid.json',
  ],
  flags: {
    ...DATA_FLAGS,
    'ranker-config': { type: 'string', valueName: 'ranker.json', description: 'train: ranker configuration (labels, splits, training; see docs/ranker.md): a JSON file or the JSON itself' },
    out: { type: 'string', valueName: 'dir|file', description: 'train: registry folder (default models/); evaluate, walk-forward: report folder (default out/ranker-evaluation); rank: JSON lines file' },
    model: { type: 'string', valueName: 'dir', description: 'evaluate/rank: a registry folder (its active version) or one version folder' },
    ...TIME_RANGE_FLAGS,
    fold: { type: 'string', valueName: 'duration', description: 'evaluate: length of each walk-forward fold of the evaluated span (default 7d); walk-forward: whole days (default 14d)' },
    config: { type: 'string', valueName: 'file.json', description: 'evaluate/rank: engine profile for the backtest and the volume filter (e.g. config/backtest-candles.json), as in every command; walk-forward: the profile of the strategy tabled' },
    set: { type: 'list', valueName: 'path=value', description: 'evaluate/rank/walk-forward: override one engine configuration field' },
    choose: { type: 'string', valueName: 'grid.json', description: 'walk-forward: profiles to choose from fold by fold on the days before each ({"strategy.stopLoss": [0.04, 0.08], …}: every combination over --config)' },
    'no-backtest': { type: 'boolean', description: 'evaluate: skip the backtests' },
    redis: { type: 'string', valueName: 'url', description: 'train: spread the folds over `coinrx worker` processes through this Redis (default: train them in this process)' },
    queue: { type: 'string', valueName: 'name', description: 'train: BullMQ queue name (default coinrx-optimize, the one coinrx worker takes)' },
  },
  async run(args, io) {
    const sub = args.positionals[0];
    if (sub !== 'train' && sub !== 'evaluate' && sub !== 'rank' && sub !== 'walk-forward') throw new UsageError(`expected a subcommand: train, evaluate, rank or walk-forward${sub ? `, got "${sub}"` : ''}`);
    if (sub !== 'walk-forward' && args.strings.has('choose')) throw new UsageError('--choose applies to ranker walk-forward only');
    if (sub !== 'train') for (const flag of ['redis', 'queue']) if (args.strings.has(flag)) throw new UsageError(`--${flag} applies to ranker train only (the folds it trains)`);
    // A flag another subcommand reads is refused, not silently ignored (walk-forward explains its --model itself).
    for (const [flag, subs] of Object.entries(ONLY)) {
      if (!subs.includes(sub) && (args.strings.has(flag) || args.booleans.has(flag))) throw new UsageError(`--${flag} applies to ranker ${subs.filter((s) => s !== 'walk-forward' || flag !== 'model').join(' and ')} only`);
    }
    // The strategy's walk-forward table needs no model: it does not load TensorFlow.js.
    if (sub === 'walk-forward') return (await import('./ranker-walk-forward.js')).walkForward(args, io);
    const run = await import('./ranker-run.js');
    return run[sub](args, io);
  },
};
