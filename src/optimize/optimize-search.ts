/**
 * `coinrx optimize`: seeded random search with anchored walk-forward folds, scored for overfitting.
 * The search plans its jobs (one backtest of the whole span per trial), hands them to a runner (this
 * process or BullMQ workers) and assembles the answer by trial number, so the result does not depend on
 * who ran which job, in what order. The walk-forward segments are cuts of each trial's hourly returns.
 */
import { configForQuote, type Config } from '../config.js';
import { HOUR_MS } from '../core/windows.js';
import { defaultBlocks, probabilityOfBacktestOverfitting } from './backtest-overfitting.js';
import type { Dataset } from './dataset.js';
import { deflatedSharpe } from './deflated-sharpe.js';
import type { JobRunner, TrialJob } from './job-runner.js';
import { curveMetrics, HOURS_PER_YEAR, moments, sharpeRatio, type CurveMetrics } from './return-statistics.js';
import { sampleTrials, type TrialParameters } from './sample-trials.js';
import { configWith, type Parameter, type SearchSpace } from './search-space.js';
import { specKey, type TrialJobSpec, type TrialOutcome, type TrialStrategy } from './trial-job.js';
import { joinedReturns, selectBest, walkForwardSegments, type Objective, type Segment } from './walk-forward.js';

export interface SearchOptions {
  readonly space: SearchSpace;
  readonly trials: number;
  readonly objective: Objective;
  readonly seed: number;
  readonly folds: number;
  /** The searched span [from, to) (already clipped to the data). */
  readonly from: number;
  readonly to: number;
  readonly base: Config;
  readonly quote: string;
  readonly dataset: Dataset;
  /** `--strategy`: every trial runs this module instead of the rule-based strategy. */
  readonly strategy?: TrialStrategy;
}

export interface SegmentFigures {
  readonly totalReturn: number;
  readonly sharpe: number;
  readonly calmar: number;
  readonly maxDrawdown: number;
  /** Round trips closed in the segment. */
  readonly trades: number;
  readonly wins: number;
  /** The bot was not running for some of the segment (kill switch, see TrialReport.halts). */
  readonly halted: boolean;
}

export interface TrialReport {
  readonly trial: number;
  readonly parameters: TrialParameters;
  /** Per segment, in order. */
  readonly segments: readonly SegmentFigures[];
  /** Over the whole span (what CSCV and the deflated Sharpe ratio see). */
  readonly whole: CurveMetrics & { readonly trades: number; readonly fees: number };
  /** When the bot stopped trading, and why (kill switch), and when it ran again. */
  readonly botStates: readonly { readonly ts: string; readonly state: string; readonly reason: string | null }[];
}

export interface FoldReport {
  readonly fold: number;
  readonly inSample: { readonly from: number; readonly to: number; readonly segments: readonly number[] };
  readonly outOfSample: { readonly from: number; readonly to: number; readonly segment: number };
  readonly best: number;
  readonly parameters: TrialParameters;
  readonly inSampleMetrics: CurveMetrics;
  readonly outOfSampleMetrics: CurveMetrics;
  readonly outOfSampleTrades: number;
  /** The picked trial's bot was halted for some of the out-of-sample segment. */
  readonly outOfSampleHalted: boolean;
}

export interface OptimizeReport {
  readonly v: 1;
  readonly objective: Objective;
  readonly seed: number;
  readonly trials: number;
  readonly folds: number;
  readonly quote: string;
  readonly range: { readonly from: number; readonly to: number; readonly fromIso: string; readonly toIso: string };
  readonly data: { readonly id: string; readonly files: readonly { readonly path: string; readonly size: number; readonly sha256: string }[] };
  readonly space: readonly Parameter[];
  readonly segments: readonly (Segment & { readonly fromIso: string; readonly toIso: string; readonly hours: number })[];
  readonly jobs: { readonly planned: number; readonly distinct: number };
  readonly trialResults: readonly TrialReport[];
  readonly walkForward: {
    readonly folds: readonly FoldReport[];
    /** The folds' out-of-sample segments joined: what trading the walk-forward choices would have given. */
    readonly outOfSample: CurveMetrics & { readonly trades: number };
    /** Equity of that curve (starting at 1) every `curveStepHours` hours, [ts, equity]. */
    readonly curve: readonly (readonly [number, number])[];
    readonly curveStepHours: number;
    /** The fold each curve point belongs to. */
    readonly curveFolds: readonly number[];
  };
  /** The best trial on every segment: the parameters to trade next. */
  readonly recommended: { readonly trial: number; readonly parameters: TrialParameters; readonly metrics: CurveMetrics };
  readonly overfitting: {
    readonly deflatedSharpe: {
      readonly trial: number;
      /** Per-hour Sharpe ratio of the best trial over the whole span, and annualised. */
      readonly sharpe: number;
      readonly sharpeAnnualised: number;
      readonly trials: number;
      readonly sharpeVariance: number;
      readonly observations: number;
      readonly skew: number;
      readonly kurtosis: number;
      /** SR₀: the best per-hour Sharpe expected from this many trials by luck alone. */
      readonly benchmark: number;
      readonly probability: number | null;
    };
    readonly pbo: { readonly pbo: number; readonly blocks: number; readonly combinations: number; readonly blockHours: number; readonly hoursDropped: number; readonly metric: 'sharpe'; readonly logitMedian: number } | { readonly pbo: null; readonly reason: string };
  };
  readonly baseConfig: Config;
}

const iso = (t: number): string => new Date(t).toISOString();

function figures(returns: readonly number[], trades: number, wins: number, halted: boolean): SegmentFigures {
  const m = curveMetrics(returns);
  return { totalReturn: m.totalReturn, sharpe: m.sharpe, calmar: m.calmar, maxDrawdown: m.maxDrawdown, trades, wins, halted };
}

/** Whether the kill switch held the bot stopped at some time in [from, to) (the stop at the end of the data is no halt). */
function haltedDuring(states: TrialOutcome['botStates'], from: number, to: number): boolean {
  let halted = false;
  for (const [ts, state, reason] of states) {
    if (ts >= to) break;
    const halt = state !== 'running' && reason !== null && reason.startsWith('kill-switch');
    if (halt && ts >= from) return true;
    if (state === 'running') halted = false;
    else if (halt) halted = true;
  }
  return halted;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The jobs of a search: one per trial, the whole span with the segment cuts. */
export function planSearch(options: SearchOptions): { segments: Segment[]; parameters: TrialParameters[]; jobs: TrialJob[] } {
  const segments = walkForwardSegments(options.from, options.to, options.folds);
  const parameters = sampleTrials(options.space, options.trials, options.seed);
  const cuts = segments.slice(1).map((s) => s.from);
  // The traded quote's configuration first (its default starting balance, as `coinrx backtest` takes it):
  // a trial's configuration is a copy, which no longer knows that the balance was a default.
  const base = configForQuote(options.base, options.quote);
  const jobs = parameters.map((values, trial): TrialJob => {
    // A trial writes nowhere: the Redis URL (and any password in it) stays out of the job.
    const config = configWith(base, Object.assign({}, values, { 'redis.url': '' }));
    const spec: TrialJobSpec = { v: 1, dataset: options.dataset, config, quote: options.quote, from: options.from, to: options.to, cuts, ...(options.strategy ? { strategy: options.strategy } : {}) };
    return { key: specKey(spec), spec, label: { trial } };
  });
  return { segments, parameters, jobs };
}

export async function runSearch(options: SearchOptions, runner: JobRunner, onProgress: (done: number, total: number) => void = () => undefined, signal?: AbortSignal): Promise<OptimizeReport> {
  const { segments, parameters, jobs } = planSearch(options);
  // Equal specs (a discrete space drawing the same values twice) run once.
  const distinct = new Map<string, TrialJob>();
  for (const job of jobs) if (!distinct.has(job.key)) distinct.set(job.key, job);
  const unique = [...distinct.values()];
  const outcomes = await runner.run(unique, onProgress, signal);
  const byKey = new Map(unique.map((job, i) => [job.key, outcomes[i] as TrialOutcome]));
  const perTrial = jobs.map((job) => byKey.get(job.key) as TrialOutcome);
  // Each trial's hourly returns cut at the segment boundaries (whole hours from the span's start).
  const returns = perTrial.map((o) => segments.map((s) => o.returns.slice((s.from - options.from) / HOUR_MS, Math.ceil((s.to - options.from) / HOUR_MS))));
  const all = segments.map((s) => s.index);

  const trialResults: TrialReport[] = perTrial.map((outcome, trial) => ({
    trial,
    parameters: parameters[trial] as TrialParameters,
    segments: segments.map((s) => figures((returns[trial] as number[][])[s.index] as number[], outcome.trades[s.index] ?? 0, outcome.wins[s.index] ?? 0, haltedDuring(outcome.botStates, s.from, s.to))),
    whole: Object.assign(curveMetrics(outcome.returns), { trades: outcome.trades.reduce((a, b) => a + b, 0), fees: outcome.fees }),
    botStates: outcome.botStates.map(([ts, state, reason]) => ({ ts: iso(ts), state, reason })),
  }));

  const folds: FoldReport[] = [];
  const oosReturns: number[] = [];
  const curveFoldOf: number[] = [];
  let oosTrades = 0;
  for (let k = 1; k < segments.length; k++) {
    const past = all.slice(0, k);
    const { trial, metrics } = selectBest(returns, past, options.objective);
    const future = segments[k] as Segment;
    const futureReturns = (returns[trial] as number[][])[k] as number[];
    const futureTrades = (perTrial[trial] as TrialOutcome).trades[k] ?? 0;
    for (const r of futureReturns) {
      oosReturns.push(r);
      curveFoldOf.push(k);
    }
    oosTrades += futureTrades;
    folds.push({
      fold: k,
      inSample: { from: (segments[0] as Segment).from, to: future.from, segments: past },
      outOfSample: { from: future.from, to: future.to, segment: k },
      best: trial,
      parameters: parameters[trial] as TrialParameters,
      inSampleMetrics: metrics,
      outOfSampleMetrics: curveMetrics(futureReturns),
      outOfSampleTrades: futureTrades,
      outOfSampleHalted: haltedDuring((perTrial[trial] as TrialOutcome).botStates, future.from, future.to),
    });
  }
  // The curve every few hours (about 500 points at most): enough to draw, small enough to keep.
  const step = Math.max(1, Math.ceil(oosReturns.length / 500));
  const curve: [number, number][] = [];
  const curveFolds: number[] = [];
  const oosStart = (segments[1] as Segment).from;
  let equity = 1;
  curve.push([oosStart, 1]);
  curveFolds.push(1);
  oosReturns.forEach((r, h) => {
    equity *= 1 + r;
    if ((h + 1) % step === 0 || h === oosReturns.length - 1) {
      curve.push([oosStart + (h + 1) * HOUR_MS, equity]);
      curveFolds.push(curveFoldOf[h] as number);
    }
  });

  const recommended = selectBest(returns, all, options.objective);

  // Deflated Sharpe ratio of the best trial (by Sharpe) over the whole span, for the number of trials.
  const wholeReturns = returns.map((bySegment) => joinedReturns(bySegment, all));
  const hourlySharpes = wholeReturns.map(sharpeRatio);
  let bestSharpeTrial = 0;
  hourlySharpes.forEach((s, i) => {
    if (s > (hourlySharpes[bestSharpeTrial] as number)) bestSharpeTrial = i;
  });
  const best = moments(wholeReturns[bestSharpeTrial] as number[]);
  const sharpe = hourlySharpes[bestSharpeTrial] as number;
  const meanSharpe = hourlySharpes.reduce((a, b) => a + b, 0) / hourlySharpes.length;
  const sharpeVariance = hourlySharpes.length > 1 ? hourlySharpes.reduce((a, s) => a + (s - meanSharpe) ** 2, 0) / (hourlySharpes.length - 1) : 0;
  const dsr = deflatedSharpe({ sharpe, trials: parameters.length, variance: sharpeVariance, observations: best.count, skew: best.skew, kurtosis: best.kurtosis });

  const hours = (wholeReturns[0] as number[]).length;
  const blocks = defaultBlocks(hours);
  let pbo: OptimizeReport['overfitting']['pbo'];
  if (parameters.length < 2) pbo = { pbo: null, reason: 'CSCV needs at least 2 trials' };
  else if (blocks === undefined) pbo = { pbo: null, reason: `${hours} hours are too few to cut into blocks` };
  else {
    const r = probabilityOfBacktestOverfitting(wholeReturns, { blocks });
    pbo = { pbo: r.pbo, blocks: r.blocks, combinations: r.combinations, blockHours: r.blockLength, hoursDropped: r.periodsDropped, metric: 'sharpe', logitMedian: median(r.logits) };
  }

  const sharpeAnnualised = sharpe * Math.sqrt(HOURS_PER_YEAR);
  return {
    v: 1,
    objective: options.objective,
    seed: options.seed,
    trials: options.trials,
    folds: options.folds,
    quote: options.quote,
    range: { from: options.from, to: options.to, fromIso: iso(options.from), toIso: iso(options.to) },
    data: { id: options.dataset.id, files: options.dataset.manifest.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })) },
    space: options.space.parameters,
    segments: segments.map((s) => ({ ...s, fromIso: iso(s.from), toIso: iso(s.to), hours: Math.ceil((s.to - s.from) / HOUR_MS) })),
    jobs: { planned: jobs.length, distinct: unique.length },
    trialResults,
    walkForward: { folds, outOfSample: { ...curveMetrics(oosReturns), trades: oosTrades }, curve, curveStepHours: step, curveFolds },
    recommended: { trial: recommended.trial, parameters: parameters[recommended.trial] as TrialParameters, metrics: recommended.metrics },
    overfitting: {
      deflatedSharpe: {
        trial: bestSharpeTrial,
        sharpe,
        sharpeAnnualised,
        trials: parameters.length,
        sharpeVariance,
        observations: best.count,
        skew: best.skew,
        kurtosis: best.kurtosis,
        benchmark: dsr.benchmark,
        probability: Number.isNaN(dsr.probability) ? null : dsr.probability,
      },
      pbo,
    },
    baseConfig: configWith(configForQuote(options.base, options.quote), { 'redis.url': '' }),
  };
}

