import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config.js';
import { Random } from '../core/random.js';
import { heuristicScore, type BatchScorer } from '../../streams/index.js';
import { calibrate, fitCalibration, logit } from './calibration.js';
import { buildDataset, type Dataset } from './dataset.js';
import { auc, brier, brierSkill, reliability, topPicks, type PicksSummary, type ReliabilityBin } from './metrics.js';
import { scorerFromLoaded } from './model-scorer.js';
import { loadVersion, type LoadedModel } from './registry.js';
import { runRankingBacktest, type RankingBacktestResult } from './ranking-backtest.js';
import { buildInputs, buildTargets, selectRows } from './samples.js';
import type { Span } from './splits.js';

export interface ScoreReport {
  readonly name: string;
  readonly auc: number;
  readonly brier: number;
  /** 1 − Brier / Brier(training base rate). */
  readonly brierSkill: number;
  readonly meanProbability: number;
  readonly reliability: readonly ReliabilityBin[];
  readonly picks: readonly PicksSummary[];
}

export interface EvaluationReport {
  readonly model: { readonly dir: string; readonly version: string; readonly kind: string; readonly trainedOn: { train: Span; validation: Span } };
  readonly span: Span;
  readonly rows: number;
  readonly steps: number;
  readonly markets: number;
  readonly baseRateTrain: number;
  readonly baseRateTest: number;
  readonly labelShares: { readonly target: number; readonly stop: number; readonly neither: number };
  readonly scores: readonly ScoreReport[];
  /**
   * The time head against reality for the model's top-k picks (ms): the head predicts the time to the
   * target counting H when it is not reached, so it is compared with that (`realisedCensoredMs`);
   * `realisedHitsMs` is the mean over the picks that did reach it.
   */
  readonly timeToTarget: readonly { k: number; predictedMs: number; realisedCensoredMs: number; realisedHitsMs: number }[];
  /** Equal-weight buy-and-hold of every market over the span, one fee each way. */
  readonly buyAndHold: number;
  readonly backtests?: Readonly<Record<string, RankingBacktestResult>>;
  readonly seconds: number;
}

export interface EvaluateOptions {
  readonly paths: readonly string[];
  readonly modelDir: string;
  /** Evaluated span; default from the model's first clean test time (after purge and embargo) to the end. */
  readonly from?: number;
  readonly to?: number;
  /** Engine profile for the backtests (fees, fill model, barriers, allocation); skip backtests when undefined. */
  readonly engineConfig?: Config;
  readonly seed?: number;
  readonly onLog?: (line: string) => void;
  readonly signal?: AbortSignal;
}

const KS = [1, 3, 5];

/** The model's calibrated P(target first) and expected time for `rows`, predicted in chunks. */
export function predictRows(loaded: LoadedModel, d: Dataset, rows: Int32Array): { p: Float32Array; t: Float32Array } {
  const { meta, model } = loaded;
  const steps = meta.kind === 'mlp' ? 1 : meta.sequenceLength;
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
      p[i + j] = calibrate(meta.calibration, logit(pp[j] as number));
      t[i + j] = (tt[j] as number) * meta.config.label.horizon;
    }
  }
  return { p, t };
}

function report(name: string, prob: ArrayLike<number>, rankScore: ArrayLike<number>, d: Dataset, rows: Int32Array, y: Float32Array, baseRate: number): ScoreReport {
  const labels = Int8Array.from(rows, (r) => d.label[r] as number);
  const times = Float32Array.from(rows, (r) => d.timeMs[r] as number);
  const groups = Float64Array.from(rows, (r) => d.ts[r] as number);
  const tie = Int32Array.from(rows, (r) => d.market[r] as number);
  let mean = 0;
  for (let i = 0; i < prob.length; i++) mean += prob[i] as number;
  return {
    name,
    auc: auc(rankScore, y),
    brier: brier(prob, y),
    brierSkill: brierSkill(prob, y, baseRate),
    meanProbability: mean / Math.max(1, prob.length),
    reliability: reliability(prob, y, 10),
    picks: KS.map((k) => topPicks(rankScore, labels, times, groups, tie, k)),
  };
}

/**
 * Scores the evaluated span with the model and with the baselines — the training base rate, momentum
 * (log price over its 1h VWAP), the heuristic score of streams/ and a seeded random score — each
 * baseline's probability calibrated (Platt) on the model's validation span, so Brier scores compare
 * fairly; then, with an engine profile, backtests the ranking strategy with costs for the model and
 * the heuristic.
 */
export async function evaluateRanker(options: EvaluateOptions): Promise<EvaluationReport> {
  const started = performance.now();
  const log = options.onLog ?? (() => {});
  const loaded = await loadVersion(options.modelDir);
  const { meta } = loaded;
  const from = options.from ?? meta.spans.testFrom;
  const to = options.to ?? Infinity;
  if (from < meta.spans.testFrom) log(`warning: the evaluated span starts before ${new Date(meta.spans.testFrom).toISOString()}, inside the model's training/validation span or its purge gap: figures will be optimistic`);
  const d = await buildDataset(options.paths, meta.config, { from: meta.spans.validation.from, to, ...(options.signal ? { signal: options.signal } : {}) });
  const every = meta.config.features.every;
  const span: Span = { from, to: Math.min(to, d.lastTs + 1) };
  const testRows = selectRows(d, span, { everyMs: every });
  const valRows = selectRows(d, meta.spans.validation, { everyMs: every });
  if (testRows.length === 0) throw new Error(`no labelled rows in the evaluated span ${new Date(span.from).toISOString()} … ${new Date(span.to).toISOString()} (the data must extend one horizon past the span's start)`);
  log(`evaluating ${testRows.length} rows (${d.markets.length} markets) from ${new Date(span.from).toISOString()} to ${new Date(d.ts[testRows[testRows.length - 1] as number] as number).toISOString()}; baselines calibrated on ${valRows.length} validation rows`);
  const y = buildTargets(d, testRows, meta.config.label.horizon).p;
  const yVal = buildTargets(d, valRows, meta.config.label.horizon).p;
  const model = predictRows(loaded, d, testRows);
  const baseRate = meta.baseRate;
  const scores: ScoreReport[] = [report('model', model.p, model.p, d, testRows, y, baseRate)];
  const random = new Random(options.seed ?? meta.config.train.seed);
  const rand = (rows: Int32Array): Float32Array => Float32Array.from(rows, () => random.next());
  const baselines: [string, (rows: Int32Array) => Float32Array][] = [
    ['momentum', (rows) => Float32Array.from(rows, (r) => d.momentum[r] as number)],
    ['heuristic', (rows) => Float32Array.from(rows, (r) => d.heuristic[r] as number)],
    ['random', rand],
  ];
  scores.push(report('base rate', Float32Array.from(testRows, () => baseRate), new Float32Array(testRows.length), d, testRows, y, baseRate));
  for (const [name, raw] of baselines) {
    const cal = fitCalibration(raw(valRows), yVal);
    const s = raw(testRows);
    scores.push(report(name, Float32Array.from(s, (v) => calibrate(cal, v)), s, d, testRows, y, baseRate));
  }
  const labels = Int8Array.from(testRows, (r) => d.label[r] as number);
  const times = Float32Array.from(testRows, (r) => d.timeMs[r] as number);
  const groups = Float64Array.from(testRows, (r) => d.ts[r] as number);
  const tie = Int32Array.from(testRows, (r) => d.market[r] as number);
  // topPicks averages times over picks labelled +1: all-ones labels make it average over every pick.
  const H = meta.config.label.horizon;
  const ones = new Int8Array(testRows.length).fill(1);
  const censored = Float32Array.from(testRows, (r) => (d.label[r] === 1 ? (d.timeMs[r] as number) : H));
  const timeToTarget = KS.map((k) => ({
    k,
    predictedMs: topPicks(model.p, ones, model.t, groups, tie, k).meanTimeToTargetMs,
    realisedCensoredMs: topPicks(model.p, ones, censored, groups, tie, k).meanTimeToTargetMs,
    realisedHitsMs: topPicks(model.p, labels, times, groups, tie, k).meanTimeToTargetMs,
  }));
  const share = (v: number): number => labels.filter((l) => l === v).length / labels.length;
  const result: EvaluationReport = {
    model: { dir: loaded.dir, version: meta.version, kind: meta.kind, trainedOn: { train: meta.spans.train, validation: meta.spans.validation } },
    span,
    rows: testRows.length,
    steps: new Set(groups).size,
    markets: new Set(tie).size,
    baseRateTrain: baseRate,
    baseRateTest: y.reduce((a, v) => a + v, 0) / y.length,
    labelShares: { target: share(1), stop: share(-1), neither: share(0) },
    scores,
    timeToTarget,
    buyAndHold: buyAndHold(d, span, meta.config.label.feeRate),
    seconds: 0,
  };
  let backtests: Record<string, RankingBacktestResult> | undefined;
  if (options.engineConfig) {
    backtests = {};
    const scorers: [string, BatchScorer][] = [
      ['model', scorerFromLoaded(loaded)],
      ['heuristic', heuristicScore],
    ];
    for (const [name, scorer] of scorers) {
      const t0 = performance.now();
      backtests[name] = await runRankingBacktest(options.paths, options.engineConfig, scorer, span, options.signal);
      log(`backtest ${name}: ${JSON.stringify(pick(backtests[name].summary))} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  return { ...result, ...(backtests ? { backtests } : {}), seconds: (performance.now() - started) / 1000 };
}

export function pick(summary: Record<string, unknown>): Record<string, unknown> {
  const keys = ['totalReturn', 'trades', 'winRate', 'meanTradeReturn', 'maxDrawdown', 'sharpe', 'feesPaid', 'exposure'];
  return Object.fromEntries(keys.map((k) => [k, summary[k]]));
}

/** Equal-weight buy-and-hold from the first to the last snapshot of the span, one fee each way. */
function buyAndHold(d: Dataset, span: Span, fee: number): number {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (let r = 0; r < d.rows; r++) {
    const t = d.ts[r] as number;
    if (t < span.from || t >= span.to) continue;
    const m = d.market[r] as number;
    if (!first.has(m)) first.set(m, d.price[r] as number);
    last.set(m, d.price[r] as number);
  }
  let sum = 0;
  for (const [m, p0] of first) sum += ((last.get(m) as number) / p0) * (1 - fee) * (1 - fee) - 1;
  return first.size > 0 ? sum / first.size : NaN;
}

