import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { cleanSpanOf, decideOverlap } from '../../engine/model-spans.js';
import { loadStrategyModule, strategyModuleFile } from '../../engine/user-strategy.js';
import { STRATEGY_FLAGS } from '../strategy-flag.js';
import type { TrialStrategy } from '../../optimize/trial-job.js';
import { HOUR_MS } from '../../core/windows.js';
import { quoteOf } from '../../engine/backtest.js';
import { readAll, type ReplayFormat } from '../../market-data/index.js';
import { describeDataset, sha256File } from '../../optimize/dataset.js';
import { InProcessRunner, type JobRunner } from '../../optimize/job-runner.js';
import { optimizePage } from '../../optimize/optimize-page.js';
import { runSearch, type OptimizeReport } from '../../optimize/optimize-search.js';
import { QueueRunError, QueueRunner } from '../../optimize/queue-runner.js';
import { loadSearchSpace, SearchSpaceError } from '../../optimize/search-space.js';
import { OBJECTIVES, WalkForwardError, type Objective } from '../../optimize/walk-forward.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { prepareOutputFolder } from '../output.js';
import { CONFIG_FLAGS, DATA_FLAGS, type Command } from '../command.js';
import { ProgressBar } from '../progress.js';
import { TIME_RANGE_FLAGS, timeRangeArgs } from '../time-range-flags.js';
import { commandConfig, quoteFlag } from './replay-input.js';
import { marketFlag } from './replay-args.js';

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

function wholeFlag(args: ParsedArgs, name: string, fallback: number, min: number): number {
  const text = args.strings.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isInteger(value) && value >= min)) throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${text}"`);
  return value;
}

/** A line when kill-switch halts shaped the trials: a halted trial sits in cash, which can look better than trading. */
function halts(report: OptimizeReport): string[] {
  const halted = report.trialResults.filter((t) => t.botStates.some((s) => s.reason?.startsWith('kill-switch'))).length;
  if (halted === 0) return [];
  return [`  ${halted} of ${report.trials} trials were halted by the kill switch (bot.maxDrawdown ${report.baseConfig.bot.maxDrawdown}, bot.dailyLossLimit ${report.baseConfig.bot.dailyLossLimit}); a halted trial sits in cash, see botStates in optimize.json`];
}

function summary(report: OptimizeReport, out: string): string[] {
  const oos = report.walkForward.outOfSample;
  const dsr = report.overfitting.deflatedSharpe;
  const pbo = report.overfitting.pbo;
  const params = (p: Readonly<Record<string, unknown>>): string =>
    Object.entries(p)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
  return [
    `optimize: ${report.trials} trials (${report.jobs.distinct} distinct backtests of the span), ${report.segments.length} segments, objective ${report.objective}, seed ${report.seed}`,
    ...report.walkForward.folds.map(
      (f) => `  fold ${f.fold}: picked trial ${f.best} on ${report.segments[0]?.fromIso.slice(0, 10)}..${new Date(f.inSample.to).toISOString().slice(0, 10)} (${report.objective} ${f.inSampleMetrics[report.objective === 'return' ? 'totalReturn' : report.objective].toFixed(2)}); out of sample ${new Date(f.outOfSample.from).toISOString().slice(0, 10)}..: return ${pct(f.outOfSampleMetrics.totalReturn)}, Sharpe ${f.outOfSampleMetrics.sharpe.toFixed(2)}, ${f.outOfSampleTrades} trades${f.outOfSampleHalted ? ' (bot halted by the kill switch for some of it)' : ''}  [${params(f.parameters)}]`,
    ),
    `  walk-forward out of sample: return ${pct(oos.totalReturn)}, Sharpe ${oos.sharpe.toFixed(2)}, Calmar ${oos.calmar.toFixed(2)}, max drawdown ${pct(oos.maxDrawdown)}, ${oos.trades} trades`,
    `  deflated Sharpe ratio of the best trial (${dsr.trial}, Sharpe ${dsr.sharpeAnnualised.toFixed(2)} a year): ${dsr.probability === null ? 'n/a' : pct(dsr.probability)} (${dsr.trials} trials)`,
    `  probability of backtest overfitting (CSCV): ${pbo.pbo === null ? `n/a (${pbo.reason})` : `${pct(pbo.pbo)} over ${pbo.combinations} splits of ${pbo.blocks} blocks`}`,
    ...halts(report),
    `  to trade next: trial ${report.recommended.trial}: ${params(report.recommended.parameters)}`,
    `wrote ${join(out, 'optimize.json')} and ${join(out, 'optimize.html')}`,
  ];
}

export const optimizeCommand: Command = {
  name: 'optimize',
  summary: 'search strategy, allocation and filter parameters with walk-forward folds; deflated Sharpe ratio and PBO; optimize.json + optimize.html',
  examples: [
    'coinrx optimize --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json --space config/space-example.json --trials 40 --folds 3 --timerange 20210101-20210331',
    'coinrx optimize --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json --space config/space-example.json --trials 200 --objective calmar --redis redis://10.0.0.5:6379',
  ],
  flags: {
    ...DATA_FLAGS,
    space: { type: 'string', valueName: 'space.json', description: 'the parameters to search: {"strategy.takeProfit": {"min": 0.005, "max": 0.04}, "allocation.mode": {"choices": [...]}, ...}' },
    trials: { type: 'string', valueName: 'N', description: 'parameter sets to try (default 20)' },
    objective: { type: 'string', valueName: OBJECTIVES.join('|'), description: 'what a fold maximises in sample (default sharpe)' },
    folds: { type: 'string', valueName: 'K', description: 'walk-forward folds: the span is cut into K + 1 segments (default 3)' },
    seed: { type: 'string', valueName: 'n', description: 'seed of the trial sampler (default: the configuration seed)' },
    ...TIME_RANGE_FLAGS,
    quote: { type: 'string', valueName: 'currency', description: "quote currency to trade (default: the data's)" },
    ...STRATEGY_FLAGS,
    'allow-overlap': { type: 'boolean', description: 'with ranking.model or strategy.agent: also search the span the model was trained on (default: refused; without --from the search starts where its clean test data does)' },
    redis: { type: 'string', valueName: 'url', description: 'spread the backtests over `coinrx worker` processes through this Redis (default: run them in this process)' },
    queue: { type: 'string', valueName: 'name', description: 'BullMQ queue name (default coinrx-optimize)' },
    out: { type: 'string', valueName: 'dir', description: 'output folder (default out/optimize)' },
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = commandConfig(args, io);
    const spaceFile = args.strings.get('space');
    if (spaceFile === undefined) throw new UsageError('--space is required (a JSON file of configuration paths and ranges)');
    const data = args.lists.get('data');
    if (!data || data.length === 0) throw new UsageError('--data is required (a file or a directory of recorded market data)');
    const trials = wholeFlag(args, 'trials', 20, 1);
    const folds = wholeFlag(args, 'folds', 3, 1);
    const seed = wholeFlag(args, 'seed', config.seed, -(2 ** 31));
    const objective = (args.strings.get('objective') ?? 'sharpe') as Objective;
    if (!OBJECTIVES.includes(objective)) throw new UsageError(`--objective must be one of ${OBJECTIVES.join(', ')}, got "${objective}"`);
    // A trained ranker or agent is searched on data it has not seen, as `coinrx backtest` runs it (src/engine/model-spans.ts).
    const overlap = decideOverlap(timeRangeArgs(args), await cleanSpanOf(config).catch(() => undefined), args.booleans.has('allow-overlap'));
    if (overlap.kind === 'refused') throw new UsageError(overlap.error);
    if (overlap.kind === 'in-sample') io.stderr.write(`optimize: warning: ${overlap.warning}\n`);
    else if (overlap.note) io.stderr.write(`optimize: ${overlap.note}\n`);
    const range = overlap.range;
    // --strategy: loaded first (a broken module is one line before the data is read); a worker finds it at
    // the same path in its own checkout and checks its content hash.
    const strategyText = args.strings.get('strategy');
    let user: Awaited<ReturnType<typeof loadStrategyModule>> | undefined;
    let strategy: TrialStrategy | undefined;
    if (strategyText !== undefined) {
      if (config.strategy.agent !== '') throw new UsageError('--strategy and strategy.agent both choose the strategy: give one');
      const file = strategyModuleFile(strategyText, process.cwd());
      user = await loadStrategyModule(strategyText, process.cwd());
      const inCheckout = relative(process.cwd(), file);
      strategy = { module: inCheckout.startsWith('..') || isAbsolute(inCheckout) ? file : inCheckout, sha256: await sha256File(file) };
    }
    const out = args.strings.get('out') ?? 'out/optimize';
    // Made before the work: a file in the way is one line now, not an EEXIST after the whole run.
    prepareOutputFolder(out);
    const market = marketFlag(args);
    const format = args.strings.get('format');
    const url = args.strings.get('redis');
    let space;
    try {
      space = loadSearchSpace(spaceFile, config);
    } catch (error) {
      if (error instanceof SearchSpaceError) {
        io.stderr.write(`coinrx optimize: ${error.message}\n`);
        return 2;
      }
      throw error;
    }

    const { events, stats } = await readAll(data, {
      ...(market ? { market } : {}),
      ...(format ? { format: format as ReplayFormat } : {}),
      onMalformed: (info) => io.stderr.write(`warning: ${info.file}:${info.line}: ${info.reason}${info.kept === true ? '' : ' (such records are skipped and counted)'}\n`),
    });
    const first = events[0];
    const last = events[events.length - 1];
    if (!first || !last) {
      io.stderr.write(`coinrx optimize: no market events in ${data.join(', ')}\n`);
      return 1;
    }
    // An open end is the data's, on whole hours (the returns are hourly): the hour of the first event, the last hour boundary reached.
    const dataFrom = Math.floor(first.ts / HOUR_MS) * HOUR_MS;
    const dataTo = Math.max(dataFrom + HOUR_MS, Math.ceil(last.ts / HOUR_MS) * HOUR_MS);
    const from = Math.max(range.from ?? dataFrom, dataFrom);
    const to = Math.min(range.to ?? dataTo, dataTo);
    if (!(from < to)) {
      io.stderr.write(`coinrx optimize: the time range holds no data (the data spans ${new Date(first.ts).toISOString()} to ${new Date(last.ts).toISOString()})\n`);
      return 2;
    }
    const dataset = await describeDataset(data, { ...(market ? { market } : {}), ...(format ? { format } : {}), stats });
    const quote = quoteFlag(args) ?? quoteOf(first.market);
    io.stderr.write(`optimize: ${events.length} events from ${stats.files.length} file(s) (data ${dataset.id.slice(0, 12)}); ${url ? 'jobs on the queue for coinrx worker processes' : 'running in this process (give --redis to spread over workers)'}\n`);

    const runner: JobRunner = url ? new QueueRunner({ url, ...(args.strings.has('queue') ? { queue: args.strings.get('queue') as string } : {}), onNote: (text) => io.stderr.write(`optimize: ${text}\n`) }) : new InProcessRunner(events, user);
    const bar = new ProgressBar(io.stderr, io.interactive, 'optimize');
    const started = Date.now();
    let report: OptimizeReport;
    try {
      report = await runSearch({ space, trials, objective, seed, folds, from, to, base: config, quote, dataset, ...(strategy ? { strategy } : {}) }, runner, (done, total) => bar.status(`${done}/${total} backtests`), io.signal);
    } catch (error) {
      if (io.signal.aborted) {
        io.stderr.write('coinrx optimize: interrupted; nothing written\n');
        return 130;
      }
      if (error instanceof WalkForwardError || error instanceof QueueRunError) {
        io.stderr.write(`coinrx optimize: ${error.message}\n`);
        return error instanceof WalkForwardError ? 2 : 1;
      }
      throw error;
    } finally {
      bar.done();
      await runner.close();
    }
    const seconds = (Date.now() - started) / 1000;
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'optimize.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(out, 'optimize.html'), optimizePage(report));
    io.stdout.write(`${summary(report, out).join('\n')}\n`);
    io.stderr.write(`optimize: ${report.jobs.distinct} backtests in ${seconds.toFixed(1)} s (${((trials / seconds) * 60).toFixed(1)} trials a minute)${runner instanceof QueueRunner && runner.stalled > 0 ? `; ${runner.stalled} stalled job(s) retried` : ''}\n`);
    return 0;
  },
};
