/** The ranker subcommands; loaded only when `coinrx ranker` runs (TensorFlow.js is large). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import type { MarketEvent } from '../../core/index.js';
import { loadConfig } from '../../config.js';
import { marketPipeline } from '../../engine/market-pipeline.js';
import { rankerRuleNote } from '../../engine/configured-models.js';
import { evaluateRanker } from '../../ml/evaluation.js';
import { evaluationHtml, evaluationText } from '../../ml/evaluation-report.js';
import { loadModelScorer } from '../../ml/model-scorer.js';
import { loadRankerConfig } from '../../ml/ranker-config.js';
import { trainRanker } from '../../ml/train.js';
import { QueueFoldRunner } from '../../ml/fold-job.js';
import { QueueRunError, QueueRunner } from '../../optimize/queue-runner.js';
import { parseDuration } from '../../core/index.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { timeRangeArgs } from '../time-range-flags.js';
import type { CommandIo } from '../command.js';
import { LineWriter, prepareOutputFile, prepareOutputFolder } from '../output.js';
import { ProgressBar } from '../progress.js';
import { pumpRange, reportStats, requireEvents } from './replay-input.js';
import { replayFromArgs } from './replay-args.js';
import { writeRankingsInRange } from '../rankings-in-range.js';

/** `--from`/`--to`/`--timerange` (src/core/time-range.ts): either end may be open. */
function span(args: ParsedArgs): { from?: number; to?: number } {
  const r = timeRangeArgs(args);
  return { ...(r.from !== undefined ? { from: r.from } : {}), ...(r.to !== undefined ? { to: r.to } : {}) };
}

function parseDurationFlag(text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  throw new UsageError(`--fold must be a positive duration (7d, 12h), got "${text}"`);
}

function dataPaths(args: ParsedArgs): string[] {
  const data = args.lists.get('data');
  if (!data || data.length === 0) throw new UsageError('--data is required (files or directories of recorded market data)');
  return [...data];
}

export async function train(args: ParsedArgs, io: CommandIo): Promise<number> {
  // The engine's configuration and the replay's --market/--format do not reach training: refused, not ignored.
  for (const flag of ['config', 'set', 'market', 'format'] as const) {
    if (args.strings.has(flag) || args.lists.has(flag)) throw new UsageError(`--${flag} does not apply to ranker train (its settings: --ranker-config ranker.json)`);
  }
  const config = loadRankerConfig(args.strings.get('ranker-config'));
  const out = args.strings.get('out') ?? 'models';
  // Made before the work: a file in the way is one line now, not an EEXIST after the whole run.
  prepareOutputFolder(out);
  const range = span(args);
  const replayBar = new ProgressBar(io.stderr, io.interactive, 'features');
  const bars = new Map<string, ProgressBar>();
  const url = args.strings.get('redis');
  const queue = url === undefined ? undefined : new QueueRunner({ url, ...(args.strings.has('queue') ? { queue: args.strings.get('queue') as string } : {}), onNote: (text) => io.stderr.write(`ranker: ${text}\n`) });
  const foldsBar = new ProgressBar(io.stderr, io.interactive, 'folds on workers');
  let result;
  try {
    // Redis out of reach is said before the dataset is built (minutes on a large span), not after.
    await queue?.ready();
    result = await trainRanker({
      paths: dataPaths(args),
      config,
      out,
      ...range,
      signal: io.signal,
      ...(queue
        ? {
            foldRunner: new QueueFoldRunner(queue),
            onFoldsDone: (done: number, total: number) => {
              replayBar.done();
              foldsBar.update(done / total, `${done}/${total} folds trained`);
            },
          }
        : {}),
      // NaN before any event was read (a batch of none: --to before the data): no time to show yet.
      onReplay: (ts) => Number.isFinite(ts) && replayBar.status(`event time ${new Date(ts).toISOString().slice(0, 16)}`),
      onProgress: (p) => {
        const key = `${p.model} ${p.fold + 1}/${p.folds}`;
        let bar = bars.get(key);
        if (!bar) {
          replayBar.done();
          for (const b of bars.values()) b.done();
          bars.set(key, (bar = new ProgressBar(io.stderr, io.interactive, `train ${key}`)));
        }
        const m = p.message;
        if (m.type === 'progress') bar.update((m.epoch + m.batch / m.batches) / m.epochs, `epoch ${m.epoch + 1} loss ${m.loss.toFixed(4)}`);
      },
      onLog: (line) => {
        for (const b of bars.values()) b.done();
        replayBar.done();
        foldsBar.done();
        io.stderr.write(`${line}\n`);
      },
    });
  } catch (error) {
    if (error instanceof QueueRunError && !io.signal.aborted) {
      io.stderr.write(`coinrx ranker: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    foldsBar.done();
    await queue?.close();
  }
  if (queue && queue.stalled > 0) io.stderr.write(`ranker: ${queue.stalled} stalled fold job(s) retried\n`);
  const v = result.meta.metrics['validation'] as Record<string, number>;
  io.stdout.write(
    `${result.version} (${result.meta.kind}) saved to ${result.dir} and made active; validation ${new Date(result.meta.spans.validation.from).toISOString()} … ${new Date(result.meta.spans.validation.to).toISOString()}: AUC ${v['auc']?.toFixed(4)}, Brier ${v['brier']?.toFixed(4)}, Brier skill ${v['brierSkill']?.toFixed(4)}; clean test data starts ${new Date(result.meta.spans.testFrom).toISOString()}\n` +
      `dataset ${result.seconds.dataset.toFixed(1)} s, training ${result.seconds.training.toFixed(1)} s\n`,
  );
  return 0;
}

export async function evaluate(args: ParsedArgs, io: CommandIo): Promise<number> {
  const modelDir = args.strings.get('model');
  if (!modelDir) throw new UsageError('--model is required (a registry folder or one version folder)');
  const out = args.strings.get('out') ?? 'out/ranker-evaluation';
  // Made before the work: a file in the way is one line now, not an EEXIST after the whole run.
  prepareOutputFolder(out);
  const range = span(args);
  const foldText = args.strings.get('fold');
  const foldMs = foldText === undefined ? undefined : parseDurationFlag(foldText);
  const profile = args.strings.get('config');
  const engineConfig = args.booleans.has('no-backtest') ? undefined : loadConfig({ ...(profile ? { file: profile } : {}), set: [...(args.lists.get('set') ?? [])], env: io.env });
  const report = await evaluateRanker({
    paths: dataPaths(args),
    modelDir,
    ...range,
    ...(foldMs !== undefined ? { foldMs } : {}),
    ...(engineConfig ? { engineConfig } : {}),
    signal: io.signal,
    onLog: (line) => io.stderr.write(`${line}\n`),
  });
  await writeFile(join(out, 'evaluation.json'), `${JSON.stringify(report, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  await writeFile(join(out, 'evaluation.html'), evaluationHtml(report));
  io.stdout.write(`${evaluationText(report)}wrote ${join(out, 'evaluation.json')} and ${join(out, 'evaluation.html')}\n`);
  return 0;
}

export async function rank(args: ParsedArgs, io: CommandIo): Promise<number> {
  const modelDir = args.strings.get('model');
  if (!modelDir) throw new UsageError('--model is required');
  const profile = args.strings.get('config');
  const config = loadConfig({ ...(profile ? { file: profile } : {}), set: [...(args.lists.get('set') ?? [])], env: io.env });
  const range = timeRangeArgs(args);
  const score = await loadModelScorer(modelDir);
  // The rankings written are the rule's then, not the network's: said, so they are not read as the model's.
  const note = rankerRuleNote(modelDir, score);
  if (note !== undefined) io.stderr.write(`ranker rank: ${note}\n`);
  const source = replayFromArgs(args, io);
  const events$ = new Subject<MarketEvent>();
  const pipeline = marketPipeline(events$, config, { score });
  prepareOutputFile(args.strings.get('out'));
  const out = new LineWriter(args.strings.get('out'), io.stdout);
  // As `coinrx rank`: the ranking in force at the range's start, then the changes (events before the range
  // warm the windows, and a sequence model's history, up).
  writeRankingsInRange(pipeline.ranking$, range, (ranking) => out.write(ranking));
  await pumpRange(range, source, events$, io, () => out.drain());
  await out.close();
  reportStats(source, io, `${out.lines} rankings written`);
  requireEvents(source);
  return 0;
}

