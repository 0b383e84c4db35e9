import { openRunStore, StoreNotWritableError } from '../../engine/nodes/backtest-node.js';
import { configuredAgent, configuredScorer, rankerRuleNote } from '../../engine/configured-models.js';
import type { BatchScorer } from '../../../streams/index.js';
import type { Strategy } from '../../../strategies/index.js';
import type { Store } from '../../store/index.js';
import type { Config } from '../../config.js';
import type { ParsedArgs } from '../args.js';
import type { CommandIo } from '../command.js';
import { strategyFromArgs } from '../strategy-flag.js';

/** What a replay run trades with and writes to. */
export interface ReplayRun {
  readonly scorer: BatchScorer | undefined;
  /** The agent (strategy.agent) when configured, else a --strategy module, else the built-in strategy. */
  readonly strategy: ((feeRate: number) => Strategy) | undefined;
  readonly store: Store;
}

/**
 * The models, the strategy and the store of `coinrx backtest` and `coinrx demo`, loaded before any
 * data is read, so a broken module or an unwritable Redis stops the run before it starts. Undefined,
 * after saying why and what to do (`withoutStore`), when the Redis store is not writable.
 */
export async function openReplayRun(command: string, args: ParsedArgs, config: Config, io: CommandIo, withoutStore: string): Promise<ReplayRun | undefined> {
  const scorer = await configuredScorer(config);
  const rankNote = rankerRuleNote(config.ranking.model, scorer);
  if (rankNote !== undefined) io.stderr.write(`${command}: ${rankNote}\n`);
  const user = await strategyFromArgs(args, config);
  const agent = await configuredAgent(config);
  try {
    return { scorer, strategy: agent ?? user, store: await openRunStore(config) };
  } catch (error) {
    if (!(error instanceof StoreNotWritableError)) throw error;
    io.stderr.write(`coinrx ${command}: the Redis store is not writable (${error.message}); check REDIS_URL or unset it to ${withoutStore}\n`);
    return undefined;
  }
}
