import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/ml/feature-vector.js';
import { fitLinear, linearScores } from '../../src/ml/linear-model.js';
import { parseRankerConfig } from '../../src/ml/ranker-config.js';
import { loadVersion, saveVersion, type ModelMeta } from '../../src/ml/registry.js';
import { trainInWorker } from '../../src/ml/train.js';
import type { TrainJob } from '../../src/ml/train-worker.js';
import { fitTrees, treeScores, type TreeFitOptions } from '../../src/ml/tree-model.js';
import { precisionAt } from './step-precision.js';

const F = 3;
const COINS = 10;
const OPTIONS: TreeFitOptions = { rounds: 120, depth: 2, shrinkage: 0.2, bins: 16, minLeaf: 2, l2: 1, patience: 15 };

/**
 * Cross-sections of COINS coins per time step where a coin reaches its target mostly when x0 and x1 are
 * both high (an interaction no weighted sum of x0 and x1 ranks as well); x2 is noise.
 */
function planted(steps: number, seed: number): { x: Float32Array; y: Float32Array; t: Float32Array; groups: Float64Array } {
  const random = new Random(seed);
  const n = steps * COINS;
  const x = new Float32Array(n * F);
  const y = new Float32Array(n);
  const t = new Float32Array(n);
  const groups = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = random.normal();
    const b = random.normal();
    x.set([a, b, random.normal()], i * F);
    y[i] = random.next() < (a > 0.3 && b > 0.3 ? 0.85 : 0.2) ? 1 : 0;
    t[i] = y[i] === 1 ? random.next() : 1;
    groups[i] = Math.floor(i / COINS) * 300_000;
  }
  return { x, y, t, groups };
}

describe('gradient-boosted trees on the per-time-step softmax (plain TypeScript)', () => {
  const train = planted(600, 1);
  const validation = planted(200, 2);
  const test = planted(300, 3);

  it('learns an interaction a linear ranker cannot: better picks out of sample than linear-rank on the same rows', () => {
    const fit = fitTrees(train, validation, F, OPTIONS);
    expect(fit.trees.length).toBeGreaterThan(0);
    const linear = fitLinear(train.x, train.y, F, { objective: 'listwise', l2: 1e-3, groups: train.groups });
    const trees = precisionAt(2, treeScores(fit.trees, test.x, F), test.y, COINS);
    expect(trees).toBeGreaterThan(precisionAt(2, linearScores(linear, test.x, F), test.y, COINS) + 0.03);
    // And the truth itself (both inputs high) is within noise of the trees' picks.
    const truth = Array.from({ length: test.y.length }, (_, i) => ((test.x[i * F] as number) > 0.3 && (test.x[i * F + 1] as number) > 0.3 ? 1 : 0) + 1e-3 * (test.x[i * F] as number));
    expect(trees).toBeGreaterThan(precisionAt(2, truth, test.y, COINS) - 0.04);
  });

  it('stops at the round with the lowest validation loss and keeps only the trees up to it', () => {
    const fit = fitTrees(train, validation, F, { ...OPTIONS, shrinkage: 0.8, depth: 4, minLeaf: 0.5 });
    const best = Math.min(...fit.history.map((h) => h.valLoss));
    expect(fit.bestValLoss).toBe(best);
    expect(fit.history[fit.bestRound - 1]?.valLoss).toBe(best);
    expect(fit.trees).toHaveLength(fit.bestRound);
    // Overfitting quickly, it stopped `patience` rounds after the best.
    expect(fit.history.length).toBe(fit.bestRound + 15);
  });

  it('is deterministic: the same rows give the same trees', () => {
    expect(fitTrees(train, validation, F, OPTIONS)).toEqual(fitTrees(train, validation, F, OPTIONS));
  });
});

describe('gbm-rank trained like the network (worker, registry)', () => {
  function job(): TrainJob {
    const widen = (d: ReturnType<typeof planted>) => {
      const n = d.y.length;
      const x = new Float32Array(n * FEATURE_COUNT);
      for (let i = 0; i < n; i++) x.set(d.x.subarray(i * F, (i + 1) * F), i * FEATURE_COUNT);
      return { x, p: d.y.slice(), t: d.t.slice(), groups: d.groups.slice() };
    };
    return { spec: { kind: 'gbm-rank', features: FEATURE_COUNT, steps: 1, hidden: [], gruUnits: 16, seed: 1, learningRate: 0.001 }, epochs: 1, batchSize: 512, patience: 1, trees: OPTIONS, train: widen(planted(300, 4)), validation: widen(planted(120, 5)) };
  }

  it('same rows, same trees; the saved version loads and predicts exactly the validation probabilities', async () => {
    const a = await trainInWorker(job());
    const b = await trainInWorker(job());
    expect(JSON.stringify(a.artifacts.modelTopology)).toBe(JSON.stringify(b.artifacts.modelTopology));
    expect(Array.from(a.validationP)).toEqual(Array.from(b.validationP));
    const v = job().validation;
    const baseRate = v.p.reduce((s, y) => s + y, 0) / v.p.length;
    const root = mkdtempSync(join(tmpdir(), 'coinrx-trees-'));
    const config = parseRankerConfig({ train: { models: ['gbm-rank'] } });
    const meta: Omit<ModelMeta, 'version'> = {
      createdAt: '2021-01-01T00:00:00.000Z',
      kind: 'gbm-rank',
      backend: a.backend,
      featureNames: FEATURE_NAMES,
      sequenceLength: config.features.sequenceLength,
      normalizer: { mean: new Array<number>(FEATURE_COUNT).fill(0), std: new Array<number>(FEATURE_COUNT).fill(1), clip: 5 },
      calibration: { a: 1, b: 0, center: 0, scale: 1 },
      baseRate,
      config,
      data: { paths: [], files: [], firstTs: 0, lastTs: 0 },
      spans: { train: { from: 0, to: 1 }, validation: { from: 1, to: 2 }, testFrom: 3 },
      metrics: {},
    };
    await saveVersion(root, a.artifacts, meta);
    const loaded = await loadVersion(root);
    const [p, t] = tf.tidy(() => (loaded.model.predict(tf.tensor2d(v.x, [v.p.length, FEATURE_COUNT])) as tf.Tensor[]).map((o) => o.clone()));
    expect(Array.from((p as tf.Tensor).dataSync())).toEqual(Array.from(a.validationP));
    expect(Array.from((t as tf.Tensor).dataSync())).toEqual(Array.from(a.validationT));
    expect(precisionAt(2, a.validationP, v.p, COINS)).toBeGreaterThan(baseRate + 0.1);
  });
});
