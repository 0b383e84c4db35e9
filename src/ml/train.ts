import { expandPaths } from '../market-data/index.js';
import { calibrate, fitCalibration, logit, type Calibration } from './calibration.js';
import { buildDataset, type Dataset } from './dataset.js';
import { FEATURE_COUNT, FEATURE_NAMES } from './feature-vector.js';
import { dailyMeans, pairedBlockBootstrap, type PairedInterval } from './bootstrap.js';
import { auc, brier, brierSkill, rankedSteps, topPicks } from './metrics.js';
import { ruleRowScores, SIMPLE_RULES, type SimpleRule } from './simple-rules.js';
import { noEventInRangeError } from '../core/time-range.js';
import { stepsOf, type ModelKind } from './model-kind.js';
import type { ModelSpec } from './models.js';
import { fitNormalizer, type Normalizer } from './normalizer.js';
import { purgeOf, type RankerConfig } from './ranker-config.js';
import { saveVersion, type ModelMeta } from './registry.js';
import { buildInputs, buildTargets, selectRows } from './samples.js';
import { testStart, walkForwardFolds, type Fold, type Span } from './splits.js';
import type { TrainJob, TrainMessage } from './train-worker.js';
import { runTsWorker } from './ts-worker.js';

export type TrainDone = Extract<TrainMessage, { type: 'done' }>;

/**
 * Runs one training job in a worker thread, so a long fit never blocks the event loop (the CLI keeps
 * drawing its progress bar; a live engine keeps trading). The data buffers are transferred, not copied.
 */
export function trainInWorker(job: TrainJob, onMessage?: (m: TrainMessage) => void, signal?: AbortSignal): Promise<TrainDone> {
  const transferList = [job.train.x.buffer, job.train.p.buffer, job.train.t.buffer, job.validation.x.buffer, job.validation.p.buffer, job.validation.t.buffer, job.train.groups?.buffer, job.validation.groups?.buffer].filter((b) => b !== undefined) as ArrayBuffer[];
  return runTsWorker<TrainMessage>({
    module: new URL('./train-worker.ts', import.meta.url),
    workerData: { kind: 'coinrx-train', job },
    transferList,
    label: 'training worker',
    ...(onMessage ? { onMessage } : {}),
    ...(signal ? { signal } : {}),
  });
}

export interface TrainProgress {
  readonly model: ModelKind;
  readonly fold: number;
  readonly folds: number;
  readonly message: TrainMessage;
}

export interface TrainRankerOptions {
  readonly paths: readonly string[];
  readonly config: RankerConfig;
  /** Registry root: the new version goes to `<out>/vN` and becomes the active one. */
  readonly out: string;
  /** Training data span [from, to); default: all the data (after the warmup). */
  readonly from?: number;
  readonly to?: number;
  readonly onReplay?: (ts: number, firstTs: number) => void;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onLog?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** A dataset already built (tests, benchmarks); the paths are then only recorded. */
  readonly dataset?: Dataset;
  /** Where the folds are trained (src/ml/fold-job.ts: on `coinrx worker` processes); default: here, one after the other. */
  readonly foldRunner?: FoldRunner;
  /** With a fold runner: folds trained so far, of all. */
  readonly onFoldsDone?: (done: number, total: number) => void;
}

/** One fit to make: a model kind on a walk-forward fold (the `index`th of `folds`). */
export interface FoldTask {
  readonly kind: ModelKind;
  readonly index: number;
  readonly folds: number;
  readonly fold: Fold;
}

export interface FoldResult {
  readonly done: TrainDone & { readonly seconds: number };
  readonly normalizer: Normalizer;
  readonly rows: number;
}

/** What a fold runner needs to hand the fits elsewhere: the data, its span and the configuration. */
export interface FoldContext {
  readonly paths: readonly string[];
  readonly dataset: Dataset;
  readonly config: RankerConfig;
  readonly from?: number;
  readonly to?: number;
}

/** Trains fold tasks and answers with their results in task order; a result depends on its task and the data only. */
export interface FoldRunner {
  run(tasks: readonly FoldTask[], context: FoldContext, onDone: (done: number, total: number) => void, signal?: AbortSignal): Promise<FoldResult[]>;
}

interface Candidate {
  readonly kind: ModelKind;
  readonly folds: { fold: number; valLoss: number; auc: number; bestEpoch: number; epochs: number; seconds: number; rows: number; backend: string }[];
  /** Mean of each fold's validation loss (log-loss; the linear-rank kind: its softmax loss). */
  readonly meanValLoss: number;
  /** Precision@k over every fold's validation block, each scored by its fold's model. */
  readonly validationPrecision: number;
  readonly pooled: Float32Array;
  readonly last: TrainDone;
  readonly normalizer: Normalizer;
}

export interface TrainResult {
  readonly version: string;
  readonly dir: string;
  readonly meta: Omit<ModelMeta, 'version'>;
  readonly dataset: Dataset;
  readonly seconds: { readonly dataset: number; readonly training: number };
}

/**
 * The whole training run: replay → dataset → walk-forward folds → for each model kind and fold, a
 * normaliser fitted on the fold's training rows and a worker-thread fit with early stopping on the
 * fold's validation block. The kind kept is the one whose top picks reach the target most often over
 * all folds' validation blocks (each scored by its own fold's model), and it ranks only if it beats the
 * best simple rule there (`checkAgainstRules`). The kept model of the last fold is calibrated (Platt) on that fold's validation block and
 * saved as a new registry version with its metrics, the exact configuration and the data span.
 */
export async function trainRanker(options: TrainRankerOptions): Promise<TrainResult> {
  const { config } = options;
  const log = options.onLog ?? (() => {});
  const t0 = performance.now();
  const dataset =
    options.dataset ??
    (await buildDataset(options.paths, config, { ...(options.from !== undefined ? { from: options.from } : {}), ...(options.to !== undefined ? { to: options.to } : {}), ...(options.signal ? { signal: options.signal } : {}), onProgress: (ts) => options.onReplay?.(ts, NaN) }));
  const t1 = performance.now();
  // A range the data never reaches (--from after its end, --to before its start): said with where the data lies.
  if (Number.isNaN(dataset.firstTs) || (options.from ?? -Infinity) > dataset.lastTs || (options.to ?? Infinity) <= dataset.firstTs) {
    throw noEventInRangeError({ ...(options.from !== undefined ? { from: options.from } : {}), ...(options.to !== undefined ? { to: options.to } : {}) }, dataset.firstTs, dataset.lastTs);
  }
  if (dataset.rows === 0) throw new Error('the training data produced no feature snapshots');
  const every = config.features.every;
  const span: Span = { from: Math.max(options.from ?? -Infinity, dataset.firstTs + config.features.warmup), to: Math.min(options.to ?? Infinity, dataset.lastTs + 1) };
  const purge = purgeOf(config);
  const folds = walkForwardFolds({ span, folds: config.split.folds, validationMs: config.split.validation, horizonMs: config.label.horizon, purgeMs: purge, embargoMs: config.split.embargo, ...(config.split.minTrain !== undefined ? { minTrainMs: config.split.minTrain } : {}) });
  log(`dataset: ${dataset.rows} rows, ${dataset.markets.length} markets, ${((t1 - t0) / 1000).toFixed(1)} s; ${folds.length} walk-forward fold(s) (${(folds.length * config.split.validation) / 86_400_000} validation days), purge ${purge / 3_600_000} h, embargo ${config.split.embargo / 3_600_000} h`);

  // Every fit depends on its fold and the data only: here one after the other, or all at once on workers.
  const tasks: FoldTask[] = config.train.models.flatMap((kind) => folds.map((fold, index) => ({ kind, index, folds: folds.length, fold })));
  let trained: FoldResult[];
  if (options.foldRunner) {
    const context: FoldContext = { paths: options.paths, dataset, config, ...(options.from !== undefined ? { from: options.from } : {}), ...(options.to !== undefined ? { to: options.to } : {}) };
    trained = await options.foldRunner.run(tasks, context, (done, total) => options.onFoldsDone?.(done, total), options.signal);
  } else {
    trained = [];
    for (const t of tasks) trained.push(await trainFold(dataset, config, t.kind, t.fold, (m) => options.onProgress?.({ model: t.kind, fold: t.index, folds: t.folds, message: m }), options.signal));
  }
  // Every fold's validation block, each predicted by the model of its own fold (trained only before it):
  // the pooled blocks are the days model selection and the rule check are decided on.
  const foldValRows = folds.map((fold) => selectRows(dataset, fold.validation, { everyMs: every }));
  const pooledRows = concatRows(foldValRows);
  const candidates: Candidate[] = [];
  for (const kind of config.train.models) {
    const results: Candidate['folds'][number][] = [];
    let last: TrainDone | undefined;
    let lastNorm: Normalizer | undefined;
    const pooled = new Float32Array(pooledRows.length);
    let at = 0;
    for (const [k] of folds.entries()) {
      const { done, normalizer, rows } = trained[tasks.findIndex((t) => t.kind === kind && t.index === k)] as FoldResult;
      const valRows = foldValRows[k] as Int32Array;
      pooled.set(done.validationP, at);
      at += valRows.length;
      const y = buildTargets(dataset, valRows, config.label.horizon).p;
      results.push({ fold: k, valLoss: done.bestValLoss, auc: auc(done.validationP, y), bestEpoch: done.bestEpoch, epochs: done.history.length, seconds: done.seconds, rows, backend: done.backend });
      log(`${kind} fold ${k + 1}/${folds.length}: ${rows} training rows, best epoch ${done.bestEpoch + 1}/${done.history.length}, validation log-loss ${done.bestValLoss.toFixed(4)}, AUC ${auc(done.validationP, y).toFixed(4)}, ${done.seconds.toFixed(1)} s on ${done.backend}`);
      last = done;
      lastNorm = normalizer;
    }
    const validationPrecision = precisionAtK(dataset, pooledRows, pooled);
    log(`${kind}: precision@${topK(dataset, pooledRows)} over the ${folds.length} validation block(s) ${pct(validationPrecision)}`);
    candidates.push({ kind, folds: results, meanValLoss: results.reduce((a, r) => a + r.valLoss, 0) / results.length, validationPrecision, pooled, last: last as TrainDone, normalizer: lastNorm as Normalizer });
  }
  // The kind with the best precision@k over the pooled validation blocks (what the strategy uses of the
  // ranking: its top picks per time step); the first listed wins a tie.
  const kept = candidates.reduce((a, c) => (c.validationPrecision > a.validationPrecision ? c : a));
  const lastFold = folds.at(-1) as Fold;
  const valRows = foldValRows.at(-1) as Int32Array;
  const yVal = buildTargets(dataset, valRows, config.label.horizon).p;
  const calibration: Calibration = fitCalibration(Array.from(kept.last.validationP, logit), yVal);
  const calibrated = Array.from(kept.last.validationP, (p) => calibrate(calibration, logit(p)));
  // Per time step only the order matters, so each fold's uncalibrated scores serve the check.
  const ruleCheck = checkAgainstRules(dataset, pooledRows, kept.pooled, config.train.seed);
  const iv = ruleCheck.interval;
  const margin = `precision@${ruleCheck.k} ${pct(ruleCheck.model)} vs ${ruleCheck.best} ${pct(ruleCheck.rules[ruleCheck.best] as number)}, ${pp(iv.mean)} pp a day, 95 % interval ${pp(iv.low)} … ${pp(iv.high)} over ${iv.n} days`;
  log(ruleCheck.ranksWith === 'model' ? `the model beats every simple rule on validation (${margin}): it ranks` : `the model is NOT shown to beat the best simple rule on validation (${margin}): this version ranks with ${ruleCheck.best}; its probabilities are still the model's`);
  const trainRows = selectRows(dataset, lastFold.train, { everyMs: every });
  const baseRate = buildTargets(dataset, trainRows, config.label.horizon).p.reduce((a, v) => a + v, 0) / Math.max(1, trainRows.length);
  const files = (await expandPaths(options.paths)).map((f) => f.file);
  const meta: Omit<ModelMeta, 'version'> = {
    createdAt: new Date().toISOString(),
    kind: kept.kind,
    backend: kept.last.backend,
    featureNames: FEATURE_NAMES,
    sequenceLength: config.features.sequenceLength,
    normalizer: kept.normalizer,
    calibration,
    baseRate,
    config,
    data: { paths: options.paths, files, firstTs: dataset.firstTs, lastTs: dataset.lastTs },
    spans: { train: lastFold.train, validation: lastFold.validation, testFrom: testStart(lastFold.validation.to, purge, config.split.embargo) },
    ranksWith: ruleCheck.ranksWith,
    metrics: {
      ruleCheck,
      kept: kept.kind,
      selection: candidates.map((c) => ({ kind: c.kind, validationPrecisionAtK: c.validationPrecision, meanValidationLoss: c.meanValLoss, folds: c.folds, history: c.last.history })),
      validation: { rows: valRows.length, auc: auc(calibrated, yVal), brier: brier(calibrated, yVal), brierSkill: brierSkill(calibrated, yVal, baseRate), baseRateTrain: baseRate, baseRateValidation: yVal.reduce((a, v) => a + v, 0) / Math.max(1, yVal.length) },
    },
  };
  const saved = await saveVersion(options.out, kept.last.artifacts, meta);
  const t2 = performance.now();
  log(`kept ${kept.kind}${candidates.length > 1 ? ` (validation precision@${ruleCheck.k}: ${candidates.map((c) => `${c.kind} ${pct(c.validationPrecision)}`).join(', ')})` : ''}; saved ${saved.dir}`);
  return { ...saved, meta, dataset, seconds: { dataset: (t1 - t0) / 1000, training: (t2 - t1) / 1000 } };
}

function concatRows(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Precision@k (k = 5, fewer in a pool of ≤ 5 coins) of `scores`' top picks per time step of `rows`. */
/** k of precision@k: 5, fewer in a pool of 5 coins or less (the picks must leave a coin out). */
function topK(d: Dataset, rows: Int32Array): number {
  return Math.max(1, Math.min(5, new Set(Array.from(rows, (r) => d.market[r] as number)).size - 1));
}

function precisionAtK(d: Dataset, rows: Int32Array, scores: ArrayLike<number>): number {
  const tie = Int32Array.from(rows, (r) => d.market[r] as number);
  const k = topK(d, rows);
  return topPicks(scores, Int8Array.from(rows, (r) => d.label[r] as number), Float32Array.from(rows, (r) => d.timeMs[r] as number), Float64Array.from(rows, (r) => d.ts[r] as number), tie, k).precision;
}

const pct = (v: number): string => `${(v * 100).toFixed(2)} %`;
const pp = (v: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}` : 'n/a');

export interface RuleCheck {
  readonly k: number;
  /** Precision@k of the model's and each rule's top picks per validation step. */
  readonly model: number;
  readonly rules: Readonly<Record<SimpleRule, number>>;
  readonly best: SimpleRule;
  /** Model minus the best rule, precision@k per validation day: paired block-bootstrap interval. */
  readonly interval: PairedInterval;
  readonly ranksWith: 'model' | SimpleRule;
}

/**
 * Model selection against the simple rules: on the validation blocks the model's top-k picks (k = the
 * strategy's 5, fewer in a small pool) must reach the target more often than those of the best simple
 * rule, day by day, with the paired block-bootstrap 95 % interval of the difference above zero, or the
 * version ranks with that rule.
 */
export function checkAgainstRules(d: Dataset, valRows: Int32Array, modelScores: ArrayLike<number>, seed = 1): RuleCheck {
  const labels = Int8Array.from(valRows, (r) => d.label[r] as number);
  const times = Float32Array.from(valRows, (r) => d.timeMs[r] as number);
  const groups = Float64Array.from(valRows, (r) => d.ts[r] as number);
  const tie = Int32Array.from(valRows, (r) => d.market[r] as number);
  const k = topK(d, valRows);
  const precision = (scores: ArrayLike<number>): number => topPicks(scores, labels, times, groups, tie, k).precision;
  const rules = Object.fromEntries(SIMPLE_RULES.map((rule) => [rule, precision(ruleRowScores(d, rule, valRows))])) as Record<SimpleRule, number>;
  const best = SIMPLE_RULES.reduce((a, b) => ((rules[b] as number) > (rules[a] as number) ? b : a));
  const model = precision(modelScores);
  // Per step precision of the model and of the best rule, paired by day: the network ranks only when
  // the whole interval of its advantage is above zero (a few points on ten days of overlapping labels is noise).
  const stepPrecision = (scores: ArrayLike<number>): { ts: number[]; p: number[] } => {
    const ts: number[] = [];
    const p: number[] = [];
    for (const { group, rows } of rankedSteps(scores, groups, tie, k)) {
      let good = 0;
      for (let q = 0; q < k; q++) if (labels[rows[q] as number] === 1) good++;
      ts.push(group);
      p.push(good / k);
    }
    return { ts, p };
  };
  const m = stepPrecision(modelScores);
  const r = stepPrecision(ruleRowScores(d, best, valRows));
  const daily = dailyMeans(m.ts, [m.p, r.p]);
  const interval = pairedBlockBootstrap(daily.means[0] as number[], daily.means[1] as number[], { seed });
  return { k, model, rules, best, interval, ranksWith: interval.verdict === 'beats' ? 'model' : best };
}

/** One fit of one model kind on one fold, in a worker. */
export async function trainFold(dataset: Dataset, config: RankerConfig, kind: ModelKind, fold: Fold, onMessage?: (m: TrainMessage) => void, signal?: AbortSignal): Promise<FoldResult> {
  const every = config.features.every;
  const stride = kind === 'gru' ? config.train.sequenceStride : config.train.stride;
  const trainRows = selectRows(dataset, fold.train, { stride, everyMs: every });
  const valRows = selectRows(dataset, fold.validation, { everyMs: every });
  if (trainRows.length === 0 || valRows.length === 0) throw new Error(`fold has ${trainRows.length} training and ${valRows.length} validation rows with known labels: too little data`);
  const normalizer = fitNormalizer(dataset.x, FEATURE_COUNT, trainRows);
  const steps = config.features.sequenceLength;
  const spec: ModelSpec = { kind, features: FEATURE_COUNT, steps: stepsOf(kind, steps), hidden: config.train.hidden, gruUnits: config.train.gruUnits, seed: config.train.seed, learningRate: config.train.learningRate };
  const tr = buildTargets(dataset, trainRows, config.label.horizon);
  const va = buildTargets(dataset, valRows, config.label.horizon);
  const job: TrainJob = {
    spec,
    epochs: config.train.epochs,
    batchSize: config.train.batchSize,
    patience: config.train.patience,
    l2: config.train.l2,
    trees: config.train.trees,
    train: { x: buildInputs(dataset, trainRows, normalizer, kind, steps), p: tr.p, t: tr.t, groups: Float64Array.from(trainRows, (r) => dataset.ts[r] as number) },
    validation: { x: buildInputs(dataset, valRows, normalizer, kind, steps), p: va.p, t: va.t, groups: Float64Array.from(valRows, (r) => dataset.ts[r] as number) },
  };
  const started = performance.now();
  const done = await trainInWorker(job, onMessage, signal);
  return { done: { ...done, seconds: (performance.now() - started) / 1000 }, normalizer, rows: trainRows.length };
}
