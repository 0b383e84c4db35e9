import type { Config } from '../config.js';
import type { Strategy } from '../../strategies/index.js';
import { UsageError, type FlagSpecs, type ParsedArgs } from './args.js';

/** `--strategy` on every command that runs a strategy (backtest, demo, paper, live, optimize). */
export const STRATEGY_FLAGS: FlagSpecs = {
  strategy: { type: 'string', valueName: 'file.ts|module', description: 'your strategy module (exports createStrategy(context); coinrx new-strategy writes one, docs/strategies.md) instead of the rule-based strategy' },
};

/**
 * The strategy of `--strategy` for a fee rate, loaded before anything else starts (a broken module is
 * a one-line error naming the file before any market data or order), or undefined without the flag.
 * `strategy.agent` chooses the strategy too: both at once is refused.
 */
export async function strategyFromArgs(args: ParsedArgs, config: Config): Promise<((feeRate: number) => Strategy) | undefined> {
  const spec = args.strings.get('strategy');
  if (spec === undefined) return undefined;
  if (config.strategy.agent !== '') throw new UsageError('--strategy and strategy.agent both choose the strategy: give one');
  // Imported here, not with the flag's spec: the commands that declare the flag load this module before they
  // start reading their data (backtest.ts), and the loader (rxjs with it) is needed only with the flag.
  const { loadStrategyModule, strategyContext } = await import('../engine/user-strategy.js');
  const user = await loadStrategyModule(spec, process.cwd());
  return (feeRate) => user.create(strategyContext(config, feeRate));
}
