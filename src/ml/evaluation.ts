import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config.js';
import { Random } from '../core/random.js';
import { noEventInRangeError } from '../core/time-range.js';
import type { BatchScorer } from '../../streams/index.js';
import { dailyMeans, dailyReturns, pairedBlockBootstrap, spanDays, type PairedInterval } from './bootstrap.js';
import { calibrate, fitCalibration, logit, type Calibration } from './calibration.js';
import { buildDataset, UNKNOWN, type Dataset } from './dataset.js';
import { barriers } from './labels.js';
import { auc, brier, brierSkill, rankedSteps, reliability, topPicks, type PicksSummary, type ReliabilityBin } from './metrics.js';
import { scorerFromLoaded } from './model-scorer.js';
import { stepsOf } from './models.js';
import { purgeOf, type RankerConfig } from './ranker-config.js';
import { loadVersion, type LoadedModel } from './registry.js';
import { runRankingBacktest, type RankingBacktestResult } from './ranking-backtest.js';
import { buildInputs, buildTargets } from './samples.js';
import { RULE_SCORERS, ruleRowScores, SIMPLE_RULES } from './simple-rules.js';
import type { Span } from './splits.js';
import { foldTable, type PolicySeries, type StrategyFold } from './strategy-walk-forward.js';

export interface ScoreReport {
  readonly name: string;
  readonly auc: number;
  readonly brier: number;
  /** 1 − Brier / Brier(training base rate): known in advance, so drift of the base rate counts here. */
  readonly brierSkillTrain: number;
  /** 1 − Brier / Brier(the evaluated span's own base rate): skill beyond knowing this span's rate. */
  readonly brierSkillTest: number;
  readonly meanProbability: number;
  readonly reliability: readonly ReliabilityBin[];
  readonly picks: readonly PicksSummary[];
  /** Mean net return of the top-k picks per time step, traded as the label's barrier trade (see rowPayoff). */
  readonly payoff: readonly { k: number; mean: number }[];
}

/** A "model beats X" claim: the paired daily difference with its block-bootstrap interval. */
export interface Comparison {
  readonly model: string;
  readonly against: string;
  /** `precision@k` (share of the top-k reaching the target) or `payoff@k` (mean net return of the top-k barrier trades). */
  readonly metric: string;
  readonly modelMean: number;
  readonly againstMean: number;
  readonly interval: PairedInterval;
}

export interface WalkForwardRow {
  readonly fold: number;
  readonly span: Span;
  readonly rows: number;
  readonly baseRate: number;
  /** How the model scoring this fold was trained: once before every fold, or refit on what precedes the fold. */
  readonly trainedOn: Span;
  readonly scores: readonly { readonly name: string; readonly auc: number; readonly brierSkillFold: number; readonly precision: number; readonly payoff: number }[];
}

export interface WalkForwardTable {
  readonly k: number;
  readonly mode: 'fixed model' | 'refit per fold';
  readonly folds: readonly WalkForwardRow[];
}

export interface EvaluationReport {
  /** `ranksWith`: what the version ranks with when loaded (the network, or the rule that beat it on validation); the figures below are the network's. */
  readonly model: { readonly dir: string; readonly version: string; readonly kind: string; readonly trainedOn: { train: Span; validation: Span }; readonly ranksWith: string };
  readonly span: Span;
  /** Where the model's and every baseline's Platt calibration were fitted (the same rows for all). */
  readonly calibration: { readonly span: Span; readonly rows: number; readonly source: 'model validation span' | 'start of the evaluated data'; readonly baseRate: number };
  readonly rows: number;
  readonly steps: number;
  readonly markets: number;
  /** Rows inside the span that were not scored, and why (nothing is dropped silently). */
  readonly excluded: { readonly warmup: number; readonly unlabelled: number };
  readonly baseRateTrain: number;
  readonly baseRateTest: number;
  readonly labelShares: { readonly target: number; readonly stop: number; readonly neither: number };
  readonly scores: readonly ScoreReport[];
  readonly comparisons: readonly Comparison[];
  readonly walkForward: WalkForwardTable;
  /**
   * The time head against reality for the model's top-k picks (ms): the head predicts the time to the
   * target counting H when it is not reached, so it is compared with that (`realisedCensoredMs`);
   * `realisedHitsMs` is the mean over the picks that did reach it.
   */
  readonly timeToTarget: readonly { k: number; predictedMs: number; realisedCensoredMs: number; realisedHitsMs: number }[];
  /** Equal-weight buy-and-hold of every market over the span, one fee each way. */
  readonly buyAndHold: number;
  readonly backtests?: Readonly<Record<string, RankingBacktestResult & { readonly dailyReturns: readonly number[] }>>;
  /** Backtest of the model's ranking against each other policy, paired over daily returns. */
  readonly backtestComparisons?: readonly Comparison[];
  /** The default strategy (the heuristic ranking, the engine's own) against each other ranking, a seeded random one, cash and buy-and-hold. */
  readonly strategyComparisons?: readonly Comparison[];
  /** The backtests cut into the walk-forward folds (whole days of `foldMs`), the default strategy first, with paired daily intervals against each. */
  readonly backtestFolds?: { readonly foldDays: number; readonly folds: readonly StrategyFold[]; readonly whole: StrategyFold };
  readonly seconds: number;
}

export interface EvaluateOptions {
  readonly paths: readonly string[];
  readonly modelDir: string;
  /** Evaluated span; default from the model's first clean test time (after purge and embargo), or the data's start when it has none of that. */
  readonly from?: number;
  readonly to?: number;
  /** Engine profile for the backtests (fees, fill model, barriers, allocation); skip backtests when undefined. */
  readonly engineConfig?: Config;
  /** Length of each walk-forward fold of the evaluated span (default 7 days). */
  readonly foldMs?: number;
  readonly seed?: number;
  readonly onLog?: (line: string) => void;
  readonly signal?: AbortSignal;
}

const KS = [1, 3, 5];
/** The k of the comparisons and the walk-forward table: the strategy's usual top 5, fewer when the pool is small. */
const tableK = (markets: number): number => Math.max(1, Math.min(5, markets - 1));
const DAY = 86_400_000;

/** The model's raw logit, calibrated P(target first) and expected time for `rows`, predicted in chunks. */
export function predictRows(loaded: LoadedModel, d: Dataset, rows: Int32Array): { z: Float32Array; p: Float32Array; t: Float32Array } {
  const { meta, model } = loaded;
  const steps = stepsOf(meta.kind, meta.sequenceLength);
  const z = new Float32Array(rows.length);
  const p = new Float32Array(rows.length);
  const t = new Float32Array(rows.length);
  const chunk = 8192;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.subarray(i, Math.min(rows.length, i + chunk));
    const x = buildInputs(d, part, meta.normalizer, meta.kind, meta.sequenceLength);
    const [pp, tt] = tf.tidy(() => {
      const out = model.predict(tf.tensor(x, steps === 1 ? [part.length, x.length / part.length] : [part.length, steps, x.length / part.length / steps])) as tf.Tensor[];
      return [(out[0] as tf.Tensor).dataSync() as Float32Array, (out[1] as tf.Tensor).dataSync() as Float32Array];
    }) as unknown as [Float32Array, Float32Array];
    for (let j = 0; j < part.length; j++) {
      z[i + j] = logit(pp[j] as number);
      p[i + j] = calibrate(meta.calibration, z[i + j] as number);
      t[i + j] = (tt[j] as number) * meta.config.label.horizon;
    }
  }
  return { z, p, t };
}

/**
 * Net return of the barrier trade each row's label describes, as the strategy would book it: +target
 * when the target came first, −stop when the stop did, otherwise the return at the horizon (the same
 * market's last snapshot at or before t + H, sold with the fee). Entry pays the label's slippage.
 */
export function rowPayoff(d: Dataset, config: RankerConfig): Float32Array {
  const { target, stop, horizon, feeRate } = config.label;
  const spec = { target, stop, horizonMs: horizon, feeRate, slippageTicks: config.label.slippageTicks };
  const out = new Float32Array(d.rows).fill(Number.NaN);
  const byMarket: number[][] = d.markets.map(() => []);
  for (let r = 0; r < d.rows; r++) (byMarket[d.market[r] as number] as number[]).push(r);
  for (const rows of byMarket) {
    let j = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as number;
      const l = d.label[r] as number;
      if (l === UNKNOWN) continue;
      if (l === 1) out[r] = target;
      else if (l === -1) out[r] = -stop;
      else {
        const end = (d.ts[r] as number) + horizon;
        if (j < i) j = i;
        while (j + 1 < rows.length && (d.ts[rows[j + 1] as number] as number) <= end) j++;
        const exit = d.price[rows[j] as number] as number;
        const { entry } = barriers(d.price[r] as number, spec);
        out[r] = (exit * (1 - feeRate)) / (entry * (1 + feeRate)) - 1;
      }
    }
  }
  return out;
}

/** Per time step, the mean of `values` over the top-k rows by `scores` (ties by `tie`); `all` averages every row of the step. */
function perStepTop(scores: ArrayLike<number> | 'all', values: readonly ArrayLike<number>[], groups: ArrayLike<number>, tie: ArrayLike<number>, k: number): { ts: number[]; means: number[][] } {
  const ts: number[] = [];
  const means: number[][] = values.map(() => []);
  for (const { group, rows } of rankedSteps(scores, groups, tie, k)) {
    const take = scores === 'all' ? rows.length : k;
    ts.push(group);
    values.forEach((v, s) => {
      let sum = 0;
      for (let q = 0; q < take; q++) sum += v[rows[q] as number] as number;
      (means[s] as number[]).push(sum / take);
    });
  }
  return { ts, means };
}

interface Scored {
  readonly name: string;
  readonly prob: Float32Array;
  /** What ranks: the raw score, or 'all' for the base rate (every market equally: its expected pick). */
  readonly rank: Float32Array | 'all';
}

function scoreReport(s: Scored, rows: Int32Array, d: Dataset, y: Float32Array, payoff: Float32Array, baseTrain: number, baseTest: number): ScoreReport {
  const labels = Int8Array.from(rows, (r) => d.label[r] as number);
  const times = Float32Array.from(rows, (r) => d.timeMs[r] as number);
  const groups = Float64Array.from(rows, (r) => d.ts[r] as number);
  const tie = Int32Array.from(rows, (r) => d.market[r] as number);
  const pay = Float32Array.from(rows, (r) => payoff[r] as number);
  let mean = 0;
  for (let i = 0; i < s.prob.length; i++) mean += s.prob[i] as number;
  const picks = KS.map((k): PicksSummary => {
    if (s.rank !== 'all') return topPicks(s.rank, labels, times, groups, tie, k);
    const step = perStepTop('all', [y], groups, tie, k);
    const m = step.means[0] as number[];
    return { k, precision: m.reduce((a, v) => a + v, 0) / Math.max(1, m.length), steps: m.length, meanTimeToTargetMs: Number.NaN, stopRate: labels.filter((l) => l === -1).length / Math.max(1, labels.length) };
  });
  return {
    name: s.name,
    auc: s.rank === 'all' ? 0.5 : auc(s.rank, y),
    brier: brier(s.prob, y),
    brierSkillTrain: brierSkill(s.prob, y, baseTrain),
    brierSkillTest: brierSkill(s.prob, y, baseTest),
    meanProbability: mean / Math.max(1, s.prob.length),
    reliability: reliability(s.prob, y, 10),
    picks,
    payoff: KS.map((k) => {
      const m = perStepTop(s.rank, [pay], groups, tie, k).means[0] as number[];
      return { k, mean: m.reduce((a, v) => a + v, 0) / Math.max(1, m.length) };
    }),
  };
}

/** Paired daily comparisons of the first score (the model) against every other, on precision@k and payoff@k. */
function compare(scored: readonly Scored[], rows: Int32Array, d: Dataset, y: Float32Array, payoff: Float32Array, k: number, seed: number): Comparison[] {
  const groups = Float64Array.from(rows, (r) => d.ts[r] as number);
  const tie = Int32Array.from(rows, (r) => d.market[r] as number);
  const pay = Float32Array.from(rows, (r) => payoff[r] as number);
  const steps = scored.map((s) => perStepTop(s.rank, [y, pay], groups, tie, k));
  const model = steps[0] as ReturnType<typeof perStepTop>;
  const out: Comparison[] = [];
  for (let i = 1; i < scored.length; i++) {
    const other = steps[i] as ReturnType<typeof perStepTop>;
    ['precision', 'payoff'].forEach((metric, m) => {
      const daily = dailyMeans(model.ts, [model.means[m] as number[], other.means[m] as number[]]);
      const [a, b] = daily.means as [number[], number[]];
      out.push({ model: (scored[0] as Scored).name, against: (scored[i] as Scored).name, metric: `${metric}@${k}`, modelMean: mean(a), againstMean: mean(b), interval: pairedBlockBootstrap(a, b, { seed }) });
    });
  }
  return out;
}

const mean = (v: readonly number[]): number => (v.length > 0 ? v.reduce((a, x) => a + x, 0) / v.length : Number.NaN);

export interface EvaluationSpans {
  readonly evaluated: Span;
  readonly calibration: Span;
  readonly source: 'model validation span' | 'start of the evaluated data';
}

/**
 * Where to calibrate and what to evaluate. The model was Platt-calibrated on its validation span; when
 * the data holds that span, the baselines are calibrated on the same rows. When it does not (another
 * exchange or year), the model and every baseline are recalibrated together on the first validation
 * length of the data after the warm-up, and the evaluated span starts a purge gap after it.
 */
export function evaluationSpans(meta: LoadedModel['meta'], data: { firstTs: number; lastTs: number }, from: number | undefined, to: number | undefined): EvaluationSpans {
  const config = meta.config;
  const ready = data.firstTs + config.features.warmup;
  const end = Math.min(to ?? Infinity, data.lastTs + 1);
  const val = meta.spans.validation;
  const covered = val.from >= ready && val.to <= data.lastTs + 1 - config.label.horizon;
  if (covered) return { evaluated: { from: from ?? Math.max(meta.spans.testFrom, ready), to: end }, calibration: val, source: 'model validation span' };
  const calFrom = Math.max(ready, from ?? ready);
  const calibration = { from: calFrom, to: calFrom + (val.to - val.from) };
  return { evaluated: { from: calibration.to + purgeOf(config), to: end }, calibration, source: 'start of the evaluated data' };
}

const iso = (t: number): string => new Date(t).toISOString();

/**
 * Scores the evaluated span with the model and with the baselines — the base rate, momentum (log price
 * over its 1h VWAP), the volatility rule (top-k by the last hour's volatility), the heuristic score of
 * streams/ and a seeded random score — each baseline's probability calibrated (Platt) on the same rows
 * as the model's; compares the model's top picks with each baseline's day by day with paired
 * block-bootstrap intervals; tabulates rolling folds; and, with an engine profile, backtests the ranking
 * strategy with costs for the model and each rule, compared on daily returns.
 */
export async function evaluateRanker(options: EvaluateOptions): Promise<EvaluationReport> {
  const started = performance.now();
  const log = options.onLog ?? (() => {});
  const loaded = await loadVersion(options.modelDir);
  const { meta } = loaded;
  const config = meta.config;
  if (options.from !== undefined && options.from < meta.spans.testFrom && options.from < meta.spans.validation.to + purgeOf(config) && (options.to ?? Infinity) > meta.spans.train.from) log(`warning: the evaluated span starts before ${iso(meta.spans.testFrom)}, inside the model's training/validation span or its purge gap: figures will be optimistic`);
  const d = await buildDataset(options.paths, config, { ...(options.to !== undefined ? { to: options.to } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  if (d.rows === 0) throw new Error('the data produced no feature snapshots to evaluate');
  // A --from past the data's end: said as a backtest says it, not as an empty span ending before it starts.
  if (options.from !== undefined && options.from >= d.lastTs) throw noEventInRangeError({ from: options.from, ...(options.to !== undefined ? { to: options.to } : {}) }, d.firstTs, d.lastTs);
  const spans = evaluationSpans(meta, d, options.from, options.to);
  const span = spans.evaluated;
  const ready = d.firstTs + config.features.warmup;
  const seed = options.seed ?? config.train.seed;
  const every = config.features.every;
  const select = (s: Span): { rows: Int32Array; warmup: number; unlabelled: number } => {
    const out: number[] = [];
    let warmup = 0;
    let unlabelled = 0;
    for (let r = 0; r < d.rows; r++) {
      const t = d.ts[r] as number;
      if (t < s.from || t >= s.to || Math.round(t / every) * every !== t) continue;
      if (t < ready) warmup++;
      else if (d.label[r] === UNKNOWN) unlabelled++;
      else out.push(r);
    }
    return { rows: Int32Array.from(out), warmup, unlabelled };
  };
  const test = select(span);
  const cal = select(spans.calibration);
  if (cal.rows.length === 0) throw new Error(`no labelled rows to calibrate on in ${iso(spans.calibration.from)} … ${iso(spans.calibration.to)} (${spans.source}; ${cal.warmup} in the features' warm-up, ${cal.unlabelled} whose outcome the data does not reach): give more data before the evaluated span`);
  if (test.rows.length === 0) throw new Error(`no labelled rows in the evaluated span ${iso(span.from)} … ${iso(span.to)} (${test.warmup} in the features' warm-up, ${test.unlabelled} whose outcome the data does not reach; the data must extend one horizon past the span's start)`);
  log(`evaluating ${test.rows.length} rows (${d.markets.length} markets) from ${iso(span.from)} to ${iso(d.ts[test.rows[test.rows.length - 1] as number] as number)}; model and baselines calibrated on ${cal.rows.length} rows of the ${spans.source} (${iso(spans.calibration.from)} … ${iso(spans.calibration.to)})${test.warmup + test.unlabelled > 0 ? `; not scored: ${test.warmup} rows in the warm-up, ${test.unlabelled} without a known outcome` : ''}`);
  const y = buildTargets(d, test.rows, config.label.horizon).p;
  const yCal = buildTargets(d, cal.rows, config.label.horizon).p;
  const baseCal = mean(Array.from(yCal));
  const payoff = rowPayoff(d, config);
  const modelTest = predictRows(loaded, d, test.rows);
  let modelCal: Calibration = meta.calibration;
  if (spans.source !== 'model validation span') modelCal = fitCalibration(predictRows(loaded, d, cal.rows).z, yCal);
  const random = new Random(seed);
  const raws: [string, (rows: Int32Array) => Float32Array][] = [
    ...SIMPLE_RULES.map((rule): [string, (rows: Int32Array) => Float32Array] => [rule, (rows) => ruleRowScores(d, rule, rows)]),
    ['random', (rows) => Float32Array.from(rows, () => random.next())],
  ];
  const scored: Scored[] = [{ name: 'model', prob: Float32Array.from(modelTest.z, (z) => calibrate(modelCal, z)), rank: modelTest.p }];
  scored.push({ name: 'base rate', prob: new Float32Array(test.rows.length).fill(baseCal), rank: 'all' });
  for (const [name, raw] of raws) {
    const c = fitCalibration(raw(cal.rows), yCal);
    const s = raw(test.rows);
    scored.push({ name, prob: Float32Array.from(s, (v) => calibrate(c, v)), rank: s });
  }
  const baseTest = mean(Array.from(y));
  const scores = scored.map((s) => scoreReport(s, test.rows, d, y, payoff, meta.baseRate, baseTest));
  const k = tableK(new Set(Array.from(test.rows, (r) => d.market[r] as number)).size);
  const comparisons = compare(scored, test.rows, d, y, payoff, k, seed);
  const walkForward = fixedModelFolds(scored, test.rows, d, y, payoff, span, options.foldMs ?? 7 * DAY, { from: meta.spans.train.from, to: meta.spans.validation.to }, k);

  const labels = Int8Array.from(test.rows, (r) => d.label[r] as number);
  const times = Float32Array.from(test.rows, (r) => d.timeMs[r] as number);
  const groups = Float64Array.from(test.rows, (r) => d.ts[r] as number);
  const tie = Int32Array.from(test.rows, (r) => d.market[r] as number);
  // topPicks averages times over picks labelled +1: all-ones labels make it average over every pick.
  const H = config.label.horizon;
  const ones = new Int8Array(test.rows.length).fill(1);
  const censored = Float32Array.from(test.rows, (r) => (d.label[r] === 1 ? (d.timeMs[r] as number) : H));
  const timeToTarget = KS.map((k) => ({
    k,
    predictedMs: topPicks(modelTest.p, ones, modelTest.t, groups, tie, k).meanTimeToTargetMs,
    realisedCensoredMs: topPicks(modelTest.p, ones, censored, groups, tie, k).meanTimeToTargetMs,
    realisedHitsMs: topPicks(modelTest.p, labels, times, groups, tie, k).meanTimeToTargetMs,
  }));
  const share = (v: number): number => labels.filter((l) => l === v).length / labels.length;
  const result: EvaluationReport = {
    model: { dir: loaded.dir, version: meta.version, kind: meta.kind, trainedOn: { train: meta.spans.train, validation: meta.spans.validation }, ranksWith: meta.ranksWith ?? 'model' },
    span,
    calibration: { span: spans.calibration, rows: cal.rows.length, source: spans.source, baseRate: baseCal },
    rows: test.rows.length,
    steps: new Set(groups).size,
    markets: new Set(tie).size,
    excluded: { warmup: test.warmup, unlabelled: test.unlabelled },
    baseRateTrain: meta.baseRate,
    baseRateTest: baseTest,
    labelShares: { target: share(1), stop: share(-1), neither: share(0) },
    scores,
    comparisons,
    walkForward,
    timeToTarget,
    buyAndHold: buyAndHold(d, span, config.label.feeRate),
    seconds: 0,
  };
  if (!options.engineConfig) return { ...result, seconds: (performance.now() - started) / 1000 };
  const backtests: Record<string, RankingBacktestResult & { dailyReturns: number[] }> = {};
  const initial = options.engineConfig.simulator.initialBalance;
  const days = spanDays(span.from, Math.min(span.to, d.lastTs + 1));
  // A seeded random ranking: what picking coins blindly earns with the same exits, gate and costs.
  const coin = new Random(seed);
  const randomRanking: BatchScorer = (snaps) => snaps.map(() => coin.next());
  const scorers: [string, BatchScorer][] = [['model', scorerFromLoaded(loaded)], ...SIMPLE_RULES.map((rule): [string, BatchScorer] => [rule, RULE_SCORERS[rule]]), ['random', randomRanking]];
  for (const [name, scorer] of scorers) {
    const t0 = performance.now();
    const b = await runRankingBacktest(options.paths, options.engineConfig, scorer, span, options.signal);
    backtests[name] = { ...b, dailyReturns: dailyReturns(b.equity, initial, days) };
    log(`backtest ${name}: ${JSON.stringify(pick(b.summary))} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const others: [string, number[]][] = Object.entries(backtests)
    .filter(([n]) => n !== 'model')
    .map(([n, b]) => [`${n} ranking`, b.dailyReturns]);
  others.push(['cash', days.map(() => 0)], ['buy-and-hold', buyAndHoldDaily(d, span, days, config.label.feeRate)]);
  const modelDaily = (backtests['model'] as { dailyReturns: number[] }).dailyReturns;
  const backtestComparisons = others.map(([against, r]): Comparison => ({ model: 'model ranking', against, metric: 'daily return', modelMean: mean(modelDaily), againstMean: mean(r), interval: pairedBlockBootstrap(modelDaily, r, { seed }) }));
  const defaultDaily = (backtests['heuristic'] as { dailyReturns: number[] }).dailyReturns;
  const strategyComparisons = others
    .filter(([against]) => against !== 'heuristic ranking')
    .map(([against, r]): Comparison => ({ model: 'heuristic ranking (the default strategy)', against, metric: 'daily return', modelMean: mean(defaultDaily), againstMean: mean(r), interval: pairedBlockBootstrap(defaultDaily, r, { seed }) }));
  const series = (name: string, label: string): PolicySeries => {
    const b = backtests[name] as RankingBacktestResult & { dailyReturns: number[] };
    return { name: label, daily: b.dailyReturns, equity: b.equity, tradeTimes: b.tradeTimes };
  };
  const foldDays = Math.max(1, Math.round((options.foldMs ?? 7 * DAY) / DAY));
  const backtestFolds = {
    foldDays,
    ...foldTable(
      [series('heuristic', 'default strategy'), ...Object.keys(backtests).filter((n) => n !== 'heuristic').map((n) => series(n, `${n} ranking`)), ...others.filter(([n]) => n === 'cash' || n === 'buy-and-hold').map(([name, daily]) => ({ name, daily }))],
      days,
      foldDays,
      initial,
      seed,
    ),
  };
  return { ...result, backtests, backtestComparisons, strategyComparisons, backtestFolds, seconds: (performance.now() - started) / 1000 };
}

/** The evaluated span cut into consecutive folds; every score's figures on each (the model is the same one, trained before all of them). */
function fixedModelFolds(scored: readonly Scored[], rows: Int32Array, d: Dataset, y: Float32Array, payoff: Float32Array, span: Span, foldMs: number, trainedOn: Span, k: number): WalkForwardTable {
  const folds: WalkForwardRow[] = [];
  const last = d.ts[rows[rows.length - 1] as number] as number;
  for (let from = span.from, f = 0; from <= last; from += foldMs, f++) {
    const to = Math.min(span.to, from + foldMs);
    const idx: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const t = d.ts[rows[i] as number] as number;
      if (t >= from && t < to) idx.push(i);
    }
    if (idx.length === 0) continue;
    const sub = Int32Array.from(idx, (i) => rows[i] as number);
    const ySub = Float32Array.from(idx, (i) => y[i] as number);
    const base = mean(Array.from(ySub));
    folds.push({
      fold: f + 1,
      span: { from, to },
      rows: sub.length,
      baseRate: base,
      trainedOn,
      scores: scored.map((s) => {
        const sc: Scored = { name: s.name, prob: Float32Array.from(idx, (i) => s.prob[i] as number), rank: s.rank === 'all' ? 'all' : Float32Array.from(idx, (i) => (s.rank as Float32Array)[i] as number) };
        const r = scoreReport(sc, sub, d, ySub, payoff, base, base);
        const groups = Float64Array.from(sub, (row) => d.ts[row] as number);
        const tie = Int32Array.from(sub, (row) => d.market[row] as number);
        const pay = Float32Array.from(sub, (row) => payoff[row] as number);
        const top = perStepTop(sc.rank, [ySub, pay], groups, tie, k);
        return { name: s.name, auc: r.auc, brierSkillFold: r.brierSkillTest, precision: mean(top.means[0] as number[]), payoff: mean(top.means[1] as number[]) };
      }),
    });
  }
  return { k, mode: 'fixed model', folds };
}

export function pick(summary: Record<string, unknown>): Record<string, unknown> {
  const keys = ['totalReturn', 'trades', 'winRate', 'meanTradeReturn', 'maxDrawdown', 'sharpe', 'feesPaid', 'exposure'];
  return Object.fromEntries(keys.map((k) => [k, summary[k]]));
}

/** Each market's first and last snapshot price inside the span. */
function endpoints(d: Dataset, span: Span): { first: Map<number, number>; last: Map<number, number> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (let r = 0; r < d.rows; r++) {
    const t = d.ts[r] as number;
    if (t < span.from || t >= span.to) continue;
    const m = d.market[r] as number;
    if (!first.has(m)) first.set(m, d.price[r] as number);
    last.set(m, d.price[r] as number);
  }
  return { first, last };
}

/** Equal-weight buy-and-hold from the first to the last snapshot of the span, one fee each way. */
function buyAndHold(d: Dataset, span: Span, fee: number): number {
  const { first, last } = endpoints(d, span);
  let sum = 0;
  for (const [m, p0] of first) sum += ((last.get(m) as number) / p0) * (1 - fee) * (1 - fee) - 1;
  return first.size > 0 ? sum / first.size : NaN;
}

/** Daily returns of the equal-weight buy-and-hold portfolio (fee in on the first day, out on the last). */
function buyAndHoldDaily(d: Dataset, span: Span, days: readonly number[], fee: number): number[] {
  const { first } = endpoints(d, span);
  const lastPrice = new Map<number, number>();
  const equity: { ts: number; equity: number }[] = [];
  let ts = Number.NaN;
  const value = (): number => {
    let v = 0;
    for (const [m, p0] of first) v += ((lastPrice.get(m) ?? p0) / p0) * (1 - fee) / first.size;
    return v;
  };
  for (let r = 0; r < d.rows; r++) {
    const t = d.ts[r] as number;
    if (t < span.from || t >= span.to) continue;
    if (t !== ts && !Number.isNaN(ts)) equity.push({ ts, equity: value() });
    ts = t;
    lastPrice.set(d.market[r] as number, d.price[r] as number);
  }
  if (!Number.isNaN(ts)) equity.push({ ts, equity: value() * (1 - fee) });
  return dailyReturns(equity, 1, days);
}
