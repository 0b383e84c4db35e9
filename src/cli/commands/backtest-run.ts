import { useFeatureThread } from '../../engine/feature-thread.js';
import { backtestNode, loadBacktestCheckpoint, NoMarketEventsError, type BacktestCheckpoint } from '../../engine/nodes/backtest-node.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { writeBacktestOutput } from '../../engine/backtest-output.js';
import type { CommandIo } from '../command.js';
import type { MarketEvent } from '../../core/index.js';
import type { ReplaySource } from '../../market-data/replay.js';
import { prepareOutputFolder } from '../output.js';
import { ProgressBar } from '../progress.js';
import { rangeErrorsAsUsage, timeRangeArgs } from '../time-range-flags.js';
import { cleanSpanOf, decideOverlap } from '../../engine/model-spans.js';
import { progressDetail, summaryLines } from './backtest-summary.js';
import { balanceLine, checkQuoteAgainstData, commandConfig, noEventsError, quoteFlag, reportStats } from './replay-input.js';
import { openReplayRun } from './replay-run.js';
import { reportStoreLoss } from './store-loss.js';
import { bareDefaultsLine } from '../default-profile.js';
import { groupedNumber } from '../../core/grouped-number.js';

/**
 * `coinrx backtest` once its data is being read (backtest.ts starts the read before loading this module
 * and the engine): configuration, store, strategy, the run and its outputs.
 */
export async function runBacktestCommand(args: ParsedArgs, io: CommandIo, source: ReplaySource, batches: AsyncIterable<MarketEvent[]>): Promise<number> {
  const config = commandConfig(args, io);
  // A trained model is backtested on data it has not seen unless asked (src/engine/model-spans.ts).
  const overlap = decideOverlap(timeRangeArgs(args), await cleanSpanOf(config).catch(() => undefined), args.booleans.has('allow-overlap'));
  if (overlap.kind === 'refused') throw new UsageError(overlap.error);
  if (overlap.kind === 'in-sample') io.stderr.write(`backtest: warning: ${overlap.warning}\n`);
  else if (overlap.note) io.stderr.write(`backtest: ${overlap.note}\n`);
  const range = overlap.range;
  const out = args.strings.get('out') ?? 'out/backtest';
  prepareOutputFolder(out);
  const quote = quoteFlag(args);
  if (quote !== undefined) await checkQuoteAgainstData(args, quote);
  const run = await openReplayRun('backtest', args, config, io, 'run without checkpoints');
  if (run === undefined) return 1;
  const { scorer, strategy, store } = run;
  const everyText = args.strings.get('checkpoint-every');
  const every = everyText === undefined ? (store.backend === 'redis' ? 100_000 : 0) : Number(everyText);
  if (!(Number.isInteger(every) && every >= 0)) throw new UsageError(`--checkpoint-every must be a whole number of events, got "${everyText}"`);
  let resume: BacktestCheckpoint | undefined;
  if (args.booleans.has('resume')) {
    resume = await loadBacktestCheckpoint(store);
    if (resume === undefined) {
      await store.close();
      throw new UsageError(`--resume: no checkpoint of bot "${config.botId}" in the ${store.backend} store${store.backend === 'memory' ? ' (set REDIS_URL to the Redis the run wrote to)' : ''}`);
    }
    io.stderr.write(`backtest: resuming from the checkpoint after ${resume.index} events (${new Date(resume.engine.ts).toISOString()})\n`);
  }
  const bar = new ProgressBar(io.stderr, io.interactive, 'backtest');
  const result = await rangeErrorsAsUsage(backtestNode({
    config,
    batches,
    store,
    checkpointEvery: every,
    range,
    ...(quote ? { quote } : {}),
    ...(resume ? { resume } : {}),
    signal: io.signal,
    onProgress: (events, ts) => bar.status(progressDetail(events, ts)),
    onRun: (run) => void io.stderr.write(balanceLine('backtest', run.config) + (args.strings.has('config') || strategy ? '' : bareDefaultsLine('backtest', run.config))),
    ...(scorer ? { scorer } : {}),
    ...(strategy ? { strategy } : {}),
    featureThread: await useFeatureThread(args.lists.get('data') ?? []),
  })
    .catch(async (error: unknown) => {
      await store.close(1_000);
      throw error instanceof NoMarketEventsError ? noEventsError(source) : error;
    })
    .finally(() => bar.done()));
  await store.close();
  reportStoreLoss(store, 'backtest', io);
  await writeBacktestOutput(out, result, config, source.stats());
  io.stdout.write(`${summaryLines(result, out).join('\n')}\n`);
  // With other markets a shut gate is read off the ranking's returns; with one coin it is easy to take for a bug.
  const used = result.config ?? config;
  if (result.results?.market.markets === 1 && result.results.decisions.length === 0 && used.strategy.gate.edge) {
    io.stderr.write('backtest: no decision with one market: the entry gate never opened (the coin\'s paper trades, closed by the profile\'s exits, never expected more than strategy.gate.margin after fees); trade it without the gate with --set strategy.gate.edge=false\n');
  }
  // No BUY at all, none held back by the gate: nothing was ranked. A profile's volume filter is in its quote's
  // units (config/default.json's 100,000,000 is KRW), so on other data it can let no coin through.
  const f = used.filter;
  const held = result.gate ? Object.values(result.gate.held).reduce((a, b) => a + b, 0) : 0;
  if (!result.results?.decisions.some((d) => d.kind === 'BUY') && held === 0 && (f.minValue1d > 0 || f.minTrades1d > 0)) {
    io.stderr.write(`backtest: no buy decision; the volume filter asks ${groupedNumber(f.minValue1d, 0)} ${result.quote} traded and ${f.minTrades1d} trades a day of a coin (filter.minValue1d, filter.minTrades1d, in the quote's units), which may have let no coin of these data through: lower them with --set\n`);
  }
  const late = source.stats().outOfOrder;
  // Fed at the latest time seen (the kernel's clock never goes back), in their market's features at that time.
  const order = late > 0 ? `${late} event(s) older than the one before them in their file, fed at the later time; ` : '';
  const stale = result.dataGaps?.stalePositions ?? [];
  // Said again on the closing line: the final equity counts these at a price the data stopped giving.
  const staleText = stale.length > 0 ? `${stale.length} open position(s) valued at a stale price (${stale.map((p) => p.market).join(', ')}: see "stale" above); ` : '';
  reportStats(source, io, `${order}${staleText}${io.signal.aborted ? 'interrupted: the results cover the data read so far' : 'done'}`);
  return io.signal.aborted ? 130 : 0;
}
