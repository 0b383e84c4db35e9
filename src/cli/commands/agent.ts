import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fieldsAt, issueLines, loadConfig, nearestKey, type Config } from '../../config.js';
import { InputError, type MarketEvent } from '../../core/index.js';
import { durationFlag } from './replay-input.js';
import { replayFromArgs } from './replay-args.js';
import { MIN_WARMUP_BATCHES } from '../../ml/rl/episode.js';
import { batchAt, buildTape } from '../../ml/rl/market-tape.js';
import { rlConfigSchema, type RlConfig } from '../../ml/rl/rl-config.js';
import type { LoopState } from '../../ml/rl/self-play-loop.js';
import type { EvaluationReport } from '../../ml/rl/evaluation.js';
import type { LoadedAgent } from '../../ml/rl/agent-model.js';
import type { AgentFold } from '../../ml/rl/agent-walk-forward.js';
import { noEventInRangeError, parseTimeEnd } from '../../core/time-range.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { prepareOutputFolder } from '../output.js';
import { timeRangeArgs } from '../time-range-flags.js';
import { DATA_FLAGS, type Command, type CommandIo } from '../command.js';
import { ProgressBar } from '../progress.js';
import { TIME_RANGE_FLAGS } from '../time-range-flags.js';

const DAY = 86_400_000;
const CANDLE_PROFILE = 'config/backtest-candles.json';

/** The candle profile in the working folder, else the one shipped with coinrx (run from another folder). */
function candleProfile(): string | undefined {
  if (existsSync(CANDLE_PROFILE)) return CANDLE_PROFILE;
  for (let dir = new URL('.', import.meta.url), up = 0; up < 5; up++, dir = new URL('..', dir)) {
    const file = fileURLToPath(new URL(CANDLE_PROFILE, dir));
    if (existsSync(file)) return file;
  }
  return undefined;
}

function engineConfig(args: ParsedArgs, io: CommandIo) {
  let file = args.strings.get('config');
  if (file === undefined) {
    file = candleProfile();
    io.stderr.write(`agent: engine profile ${file ?? "the schema's defaults (no config/backtest-candles.json found)"} (--config to choose another)\n`);
  }
  return loadConfig({ ...(file ? { file } : {}), set: [...(args.lists.get('set') ?? [])], env: io.env });
}

function rlConfig(args: ParsedArgs) {
  const raw: Record<string, unknown> = {};
  for (const item of args.lists.get('rl') ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--rl expects path=value, got "${item}"`);
    let value: unknown = item.slice(eq + 1);
    try {
      value = JSON.parse(value as string);
    } catch {
      // keep text
    }
    let node = raw;
    const keys = item.slice(0, eq).split('.');
    // The schema's sections drop unknown keys (parseRlConfig also reads saved agents' settings), so a
    // misspelled --rl path is refused here instead of being ignored.
    for (let i = 0; i < keys.length; i++) {
      const known = fieldsAt(keys.slice(0, i), rlConfigSchema);
      if (known.length > 0 && !known.includes(keys[i] as string)) {
        const near = nearestKey(keys[i] as string, known);
        throw new UsageError(`--rl: ${keys.slice(0, i + 1).join('.')}: unknown field${near ? ` (did you mean ${[...keys.slice(0, i), near].join('.')}?)` : ''}`);
      }
    }
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1] as string] = value;
  }
  const result = rlConfigSchema.safeParse(raw);
  if (!result.success) throw new UsageError(`--rl: ${issueLines(result.error.issues, rlConfigSchema).join('; ')}`);
  return result.data;
}

async function events(args: ParsedArgs, io: CommandIo): Promise<MarketEvent[]> {
  const data = args.lists.get('data');
  if (!data || data.length === 0) throw new UsageError('--data is required (recorded market data)');
  // Through the same replay as every command: --market and --format apply, malformed records are reported.
  const source = replayFromArgs(args, io);
  const all: MarketEvent[] = [];
  for await (const batch of source.batches()) for (const e of batch) all.push(e);
  return all;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : 'n/a');

/** What one training run is given: the events already read, the span, where it writes. */
export interface TrainPlan {
  readonly config: Config;
  readonly rl: RlConfig;
  readonly all: readonly MarketEvent[];
  /** Training starts here (a day of feature batches before it warms the tape up); undefined: the data's start. */
  readonly from?: number;
  /** End of the training and selection span (exclusive). */
  readonly until: number;
  readonly out: string;
  readonly generations: number;
  readonly data: readonly string[];
}

async function train(args: ParsedArgs, io: CommandIo): Promise<number> {
  const config = engineConfig(args, io);
  const rl = rlConfig(args);
  checkStrategySource(config, rl);
  const all = await events(args, io);
  if (all.length === 0) throw new InputError('the data holds no market events');
  const lastTs = (all[all.length - 1] as MarketEvent).ts;
  // Train and select before `--until` or the end of --timerange/--to (default: all but the last 30 days, kept for evaluation).
  const range = timeRangeArgs(args);
  const untilText = args.strings.get('until');
  if (untilText !== undefined && range.to !== undefined) throw new UsageError('--until and the end of --timerange/--to both end the training span: give one');
  let until = range.to ?? lastTs - 30 * DAY;
  if (untilText !== undefined) {
    try {
      until = parseTimeEnd(untilText, 'from', '--until');
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (range.from !== undefined && range.from >= until) throw new UsageError(`the training span is empty: it starts ${new Date(range.from).toISOString()} and ends ${new Date(until).toISOString()}`);
  const out = args.strings.get('out') ?? 'out/agent';
  // Made before the work: a file in the way is one line now, not an EEXIST after the whole run.
  prepareOutputFolder(out);
  const state = await trainAgent({ config, rl, all, ...(range.from !== undefined ? { from: range.from } : {}), until, out, generations: generationsArg(args, rl), data: args.lists.get('data') ?? [] }, io);
  io.stdout.write(generationTable(state, out));
  return io.signal.aborted ? 130 : 0;
}

/** The `strategy` action source runs the rule strategy on the tape's heuristic ranking (refused before any data is read). */
function checkStrategySource(config: Config, rl: RlConfig): void {
  if (rl.actions.source === 'strategy' && config.ranking.model !== '') throw new UsageError('--rl actions.source=strategy runs the rule strategy on the tape\'s heuristic ranking: a ranking.model in the profile is not supported with it yet');
}

function generationsArg(args: ParsedArgs, rl: RlConfig): number {
  const text = args.strings.get('generations');
  const generations = text === undefined ? rl.loop.generations : Number(text);
  if (!(Number.isInteger(generations) && generations > 0)) throw new UsageError(`--generations must be a whole number > 0, got "${text}"`);
  return generations;
}

/** The best/current loop on the plan's span, with its progress on stderr; resumes a run already in `out`. */
export async function trainAgent(plan: TrainPlan, io: CommandIo): Promise<LoopState> {
  const { config, rl, until, out } = plan;
  // The `strategy` action source runs the rule strategy on the engine's own snapshots and rankings: the tape keeps them.
  const keepSnapshots = rl.actions.source === 'strategy';
  // From `from` on: the feature batches just before it only warm the tape up (the first ones are never an episode's).
  const start = plan.from === undefined ? -Infinity : plan.from - MIN_WARMUP_BATCHES * config.features.every;
  const kept = plan.all.filter((e) => e.ts >= start && e.ts < until);
  // The observation's ranker signal: the configured ranker model's probability, else the fallback rule (calibrated by the loop).
  const { modelSignal, signalScore } = await import('../../ml/rl/market-signal.js');
  const marketSignal = config.ranking.model === '' ? undefined : await modelSignal(config.ranking.model);
  const tape = buildTape(kept, config, { ...(marketSignal ? { signalScore: await signalScore(marketSignal), signalSource: 'model' as const } : {}), keepSnapshots });
  const validationFrom = batchAt(tape, until - rl.loop.validationDays * DAY);
  if (validationFrom - MIN_WARMUP_BATCHES < rl.episode.batches * 2) throw new UsageError('not enough data before the validation span for training episodes');
  // TensorFlow.js (through the loop's trainer and the model files) loads only when the command runs.
  const { runSelfPlayLoop } = await import('../../ml/rl/self-play-loop.js');
  io.stderr.write(`agent train: ${tape.markets.length} markets, ${tape.batches} batches from ${new Date(tape.ts[0] as number).toISOString()} to ${new Date(until).toISOString()}; validation from ${new Date(tape.ts[validationFrom] as number).toISOString()}\n`);
  const bar = new ProgressBar(io.stderr, io.interactive, 'agent');
  return runSelfPlayLoop({
    tape,
    config,
    rl,
    out,
    trainBatches: [MIN_WARMUP_BATCHES, validationFrom],
    validationBatches: [validationFrom, tape.batches],
    data: plan.data,
    generations: plan.generations,
    ...(marketSignal ? { marketSignal } : {}),
    onLog: (line) => {
      bar.done();
      io.stderr.write(`${line}\n`);
    },
    onProgress: (what, f) => bar.update(f, what),
    signal: io.signal,
  }).finally(() => bar.done());
}

/** `agent train`'s table: each generation's promotion test, and the kept player's test against cash. */
function generationTable(state: LoopState, out: string): string {
  let text = 'generation  best   candidate  best val.   current val.  diff (pp)  p-value  tried  alpha    decision\n';
  for (const g of state.generations) {
    const v = g.validation;
    const promoted = g.promoted && g.bestAfter === g.candidate;
    // Through the gate, but not shown to beat cash: cash became best.
    const passed = !promoted && v.meanDiff > 0 && v.pValue < (v.alpha ?? NaN) && g.bestAfter === 'cash';
    text += `${String(g.generation).padStart(10)}  ${g.best.padEnd(5)}  ${g.candidate.padEnd(9)}  ${pct(v.meanBest).padStart(10)}  ${pct(v.meanCurrent).padStart(12)}  ${(v.meanDiff * 100).toFixed(3).padStart(9)}  ${v.pValue.toFixed(4).padStart(7)}  ${String(v.candidatesTried ?? g.generation).padStart(5)}  ${(v.alpha ?? NaN).toFixed(4).padStart(6)}  ${promoted ? 'promoted' : passed ? 'passed, not above cash' : 'kept best'}\n`;
    // The player kept by that test against cash on the same episodes (every return 0): it trades on only if it wins.
    if (v.cash) {
      const mean = v.cash.player === g.candidate ? v.meanCurrent : v.meanBest;
      text += `${''.padStart(10)}  ${'cash'.padEnd(5)}  ${v.cash.player.padEnd(9)}  ${pct(0).padStart(10)}  ${pct(mean).padStart(12)}  ${(v.cash.meanDiff * 100).toFixed(3).padStart(9)}  ${v.cash.pValue.toFixed(4).padStart(7)}  ${String(v.cash.candidatesTried).padStart(5)}  ${v.cash.alpha.toFixed(4).padStart(6)}  ${v.cash.promoted ? 'cash: no edge shown' : `kept ${v.cash.player}`}\n`;
    }
  }
  return `${text}best: ${state.best} (${join(out, 'models', state.best)}); learning curve: ${join(out, 'learning-curve.svg')}; record: ${join(out, 'loop.json')}\n`;
}

/** What one evaluation is given: the agent, the events already read, the span, where it writes. */
export interface EvaluatePlan {
  readonly agent: LoadedAgent;
  readonly config: Config;
  readonly rl: RlConfig;
  readonly all: readonly MarketEvent[];
  readonly from?: number;
  readonly to?: number;
  readonly out: string;
}

async function evaluate(args: ParsedArgs, io: CommandIo): Promise<number> {
  const model = args.strings.get('model');
  if (!model) throw new UsageError('--model is required (an agent folder from `coinrx agent train`, or one version in it)');
  // Before the data is read: a bad folder fails at once.
  const agent = await loadAgentFolder(model);
  const config = engineConfig(args, io);
  const rl = rlConfig(args);
  const all = await events(args, io);
  if (all.length === 0) throw new InputError('the data holds no market events');
  const range = timeRangeArgs(args);
  const out = args.strings.get('out') ?? 'out/agent-evaluation';
  prepareOutputFolder(out);
  const report = await evaluateAgentOn({ agent, config, rl, all, ...(range.from !== undefined ? { from: range.from } : {}), ...(range.to !== undefined ? { to: range.to } : {}), out }, io);
  io.stdout.write(`${evaluationText(report)}written: ${join(out, 'evaluation.json')}\n`);
  return 0;
}

/** The agent against every policy on the plan's span (refused where it overlaps the agent's own training span); writes `evaluation.json` in `out`. */
export async function evaluateAgentOn(plan: EvaluatePlan, io: CommandIo): Promise<EvaluationReport & { readonly model: string }> {
  const { config, rl, all, agent } = plan;
  const { agentActions } = await import('../../ml/rl/agent-model.js');
  const { evaluateAgent } = await import('../../ml/rl/evaluation.js');
  const trained = agent.meta.trainedOn;
  const to = plan.to ?? Infinity;
  // Default start: where the training span ended when the data goes on past it; otherwise (another
  // exchange or year) the start of the data. The first day of batches is always the features' warm-up.
  const dataFrom = (all[0] as MarketEvent).ts;
  const dataTo = Math.min(to, (all[all.length - 1] as MarketEvent).ts + 1);
  // A --from past the data's end: said as a backtest says it, not as a span lost to the features' warm-up.
  const dataLast = (all[all.length - 1] as MarketEvent).ts;
  if (plan.from !== undefined && plan.from > dataLast) throw noEventInRangeError({ from: plan.from, ...(plan.to !== undefined ? { to: plan.to } : {}) }, dataFrom, dataLast);
  const from = plan.from ?? (dataFrom < trained.to && dataTo > trained.to ? trained.to : dataFrom);
  if (from < trained.to && dataTo > trained.from) throw new UsageError(`the evaluated span ${new Date(from).toISOString()} … ${new Date(dataTo).toISOString()} overlaps the span the agent was trained and selected on (${new Date(trained.from).toISOString()} … ${new Date(trained.to).toISOString()}): start at or after its end, or evaluate data before its start`);
  const spec = agent.meta.signal;
  const { signalScore } = await import('../../ml/rl/market-signal.js');
  const score = spec ? await signalScore(spec) : undefined;
  const tape = buildTape(
    all.filter((e) => e.ts < to),
    config,
    { ...(spec?.source === 'model' && score ? { signalScore: score, signalSource: 'model' as const } : {}), keepSnapshots: agentActions(agent.meta).source === 'strategy' },
  );
  const fromBatch = Math.max(batchAt(tape, from), MIN_WARMUP_BATCHES);
  const toBatch = tape.batches;
  if (toBatch - fromBatch < 2) throw new UsageError(`the evaluation span holds no batches after the features' warm-up (${MIN_WARMUP_BATCHES} batches from the start of the data; the data has ${tape.batches})`);
  if (fromBatch > batchAt(tape, from)) io.stderr.write(`the first ${fromBatch - batchAt(tape, from)} batches of the span warm the features up: decisions start ${new Date(tape.ts[fromBatch] as number).toISOString()}\n`);
  const report = await evaluateAgent({ tape, config, rl, agent, fromBatch, toBatch, ...(score ? { signalScore: score } : {}), onLog: (l) => io.stderr.write(`${l}\n`) });
  await mkdir(plan.out, { recursive: true });
  await writeFile(join(plan.out, 'evaluation.json'), `${JSON.stringify({ model: agent.dir, ...report }, null, 2)}\n`);
  return { model: agent.dir, ...report };
}

/** An agent folder from `agent train` (its best, ACTIVE) or one version in it. */
export async function loadAgentFolder(dir: string): Promise<LoadedAgent> {
  const { loadAgent } = await import('../../ml/rl/agent-model.js');
  return loadAgent(existsSync(join(dir, 'models')) ? join(dir, 'models') : dir);
}

/** `agent evaluate`'s report: every policy's figures, the agent against each with its interval, and the engine checks. */
function evaluationText(report: EvaluationReport): string {
  let text = `evaluation ${new Date(report.span.from).toISOString()} → ${new Date(report.span.to).toISOString()} (${report.span.batches} batches, ${report.span.markets} markets), same costs for all:\n`;
  text += `${'policy'.padEnd(40)} ${'return'.padStart(9)} ${'Sharpe'.padStart(7)} ${'max DD'.padStart(8)} ${'win rate'.padStart(9)} ${'trades'.padStart(7)} ${'fees'.padStart(9)}\n`;
  for (const r of report.rows) text += `${r.policy.padEnd(40)} ${pct(r.totalReturn).padStart(9)} ${r.sharpe.toFixed(2).padStart(7)} ${pct(r.maxDrawdown).padStart(8)} ${pct(r.winRate).padStart(9)} ${r.trades.toFixed(0).padStart(7)} ${r.fees.toFixed(2).padStart(9)}\n`;
  text += `\ndoes the agent beat each policy? paired daily returns, moving-block bootstrap 95 % interval of the mean difference (pp a day):\n`;
  for (const c of report.comparisons) {
    const i = c.interval;
    text += `  vs ${c.against.padEnd(38)} ${(i.mean * 100).toFixed(3).padStart(7)} [${(i.low * 100).toFixed(3)}, ${(i.high * 100).toFixed(3)}] over ${i.n} days, p(not better) ${i.pNotBetter.toFixed(3)}: ${i.verdict}\n`;
  }
  text += `in short: ${report.conclusion}\n`;
  const check = report.engineCheck;
  text += `agent through the engine: final equity ${check.finalEquity.toFixed(2)}, ${check.trades} trades (${check.matchesEnvironment ? 'same as the environment' : 'DIFFERS from the environment'}); inference ${report.inference.meanMsPerBatch.toFixed(3)} ms per batch, ${report.inference.meanUsPerDecision.toFixed(1)} µs per market decision\n`;
  const sc = report.strategyCheck;
  if (sc) text += `generation 0 (every entry of the rule strategy taken) in the environment: final equity ${sc.environmentEquity.toFixed(2)}, ${sc.environmentTrades} trades; the engine's rule strategy ${sc.engineEquity.toFixed(2)}, ${sc.engineTrades} trades (${sc.matches ? 'same' : 'DIFFERS'})\n`;
  return text;
}

/**
 * `agent walk-forward`: test folds of `--fold` from `--from` (default a month after the data starts) to the
 * data's end (or --to); for each, the loop trains and selects on everything before the fold (anchored at
 * the data's start) into `<out>/fold-N/agent`, and the agent it kept is evaluated on the fold against
 * every policy (`<out>/fold-N/evaluation.json`); then all test days together, the agent of each fold
 * against each policy with a paired block-bootstrap interval (`<out>/walk-forward.json`). A fold whose
 * agent folder already holds a run resumes it.
 */
async function walkForward(args: ParsedArgs, io: CommandIo): Promise<number> {
  const config = engineConfig(args, io);
  const rl = rlConfig(args);
  checkStrategySource(config, rl);
  const generations = generationsArg(args, rl);
  const foldMs = durationFlag(args, 'fold') ?? 30 * DAY;
  if (foldMs < DAY) throw new UsageError(`--fold must be at least a day (1d), got ${args.strings.get('fold')}`);
  const all = await events(args, io);
  if (all.length === 0) throw new InputError('the data holds no market events');
  const range = timeRangeArgs(args);
  const dataFrom = (all[0] as MarketEvent).ts;
  const end = Math.min(range.to ?? Infinity, (all[all.length - 1] as MarketEvent).ts + 1);
  // The loop needs the features' warm-up and two episodes before its validation days (as trainAgent checks).
  const least = dataFrom + rl.loop.validationDays * DAY + (MIN_WARMUP_BATCHES + 2 * rl.episode.batches) * config.features.every;
  // Unless told, the first fold starts at a UTC midnight a month into the data (or later, when the loop needs more).
  const first = range.from ?? Math.ceil(Math.max(dataFrom + 30 * DAY, least) / DAY) * DAY;
  if (first < least) throw new UsageError(`--from ${new Date(first).toISOString()}: the first fold needs training data before it (the loop's warm-up, two episodes and ${rl.loop.validationDays} validation days): start at ${new Date(least).toISOString()} or later`);
  const { foldSpans, poolFolds, agentWalkForwardText, agentWalkForwardHtml } = await import('../../ml/rl/agent-walk-forward.js');
  const spans = foldSpans(first, end, foldMs);
  if (spans.length === 0) throw new UsageError(`no test fold of a day or more between ${new Date(first).toISOString()} and the end of the data (${new Date(end).toISOString()})`);
  const out = args.strings.get('out') ?? 'out/agent-walk-forward';
  prepareOutputFolder(out);
  io.stderr.write(`agent walk-forward: ${spans.length} fold(s) of ${foldMs / DAY} days from ${new Date(first).toISOString()}, each trained (${generations} generations) on the data before it\n`);
  const folds: AgentFold[] = [];
  for (const [k, span] of spans.entries()) {
    const dir = join(out, `fold-${k + 1}`);
    io.stderr.write(`fold ${k + 1}/${spans.length}: ${new Date(span.from).toISOString()} … ${new Date(span.to).toISOString()}\n`);
    const state = await trainAgent({ config, rl, all, until: span.from, out: join(dir, 'agent'), generations, data: args.lists.get('data') ?? [] }, io);
    if (io.signal.aborted) return 130;
    const agent = await loadAgentFolder(join(dir, 'agent'));
    const report = await evaluateAgentOn({ agent, config, rl, all, from: span.from, to: span.to, out: dir }, io);
    folds.push({ ...span, best: state.best, model: report.model, trainedOn: agent.meta.trainedOn, report });
    io.stderr.write(`fold ${k + 1}: best ${state.best}; ${report.conclusion}\n`);
  }
  const result = poolFolds(folds);
  await writeFile(join(out, 'walk-forward.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(out, 'walk-forward.html'), agentWalkForwardHtml(result));
  io.stdout.write(`agent walk-forward, ${folds.length} fold(s): each fold's agent trained and selected only on the data before it; returns after every cost; intervals: paired moving-block bootstrap of daily returns, 95 %\n`);
  io.stdout.write(`${agentWalkForwardText(result)}written: ${join(out, 'walk-forward.json')} and ${join(out, 'walk-forward.html')} (each fold's evaluation.json and agent in ${join(out, 'fold-N')})\n`);
  return 0;
}

export const agentCommand: Command = {
  name: 'agent',
  summary: 'train the RL agent (best/current self-play loop), evaluate it against cash, buy-and-hold, the rule strategy, the generation 0 it starts from (the edge rule; the rule strategy itself with --rl actions.source=strategy) and a random policy, or walk it forward (trained before each test fold, evaluated on it, all folds pooled)',
  examples: [
    'coinrx agent train --data ../shared/data/candles/binance-spot-2021-5m --until 2021-03-01 --generations 5 --out out/agent',
    'coinrx agent evaluate --data ../shared/data/candles/binance-spot-2021-5m --model out/agent --from 2021-03-01',
    'coinrx agent walk-forward --data ../shared/data/candles/binance-spot-2021-5m --from 2021-02-01 --fold 28d --generations 3 --out out/agent-walk-forward',
  ],
  flags: {
    ...DATA_FLAGS,
    config: { type: 'string', valueName: 'file.json', description: `engine profile (default ${CANDLE_PROFILE}, here or else the one shipped with coinrx)` },
    set: { type: 'list', valueName: 'path=value', description: 'override one engine profile field' },
    rl: { type: 'list', valueName: 'path=value', description: 'override one RL setting, e.g. agent.trainSteps=3000, reward.points=0, actions.source=strategy (BUY only among the entries the configured rule strategy emits, its exits carried out; docs/rl.md; see src/ml/rl/rl-config.ts)' },
    out: { type: 'string', valueName: 'dir', description: 'train: run folder (default out/agent; resumes when it holds a run); evaluate: report folder; walk-forward: its folder (default out/agent-walk-forward)' },
    generations: { type: 'string', valueName: 'N', description: 'train, walk-forward: generations to reach (default from the RL config)' },
    fold: { type: 'string', valueName: 'duration', description: 'walk-forward: length of each test fold (default 30d); --from starts the first (default a month after the data starts), --to ends the last' },
    until: { type: 'string', valueName: 'date', description: 'train: end of the training and selection span, as the end of --timerange/--to (default: 30 days before the end of the data)' },
    model: { type: 'string', valueName: 'dir', description: 'evaluate: the train folder (its best) or one model version' },
    ...TIME_RANGE_FLAGS,
  },
  async run(args, io) {
    const sub = args.positionals[0];
    if (sub === 'train') return train(args, io);
    if (sub === 'evaluate') return evaluate(args, io);
    if (sub === 'walk-forward') return walkForward(args, io);
    throw new UsageError(`expected a subcommand: train, evaluate or walk-forward${sub ? `, got "${sub}"` : ''}`);
  },
};
