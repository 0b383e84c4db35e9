import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/ml/feature-vector.js';
import { fitLinear, linearLoss, linearScores, type LinearObjective } from '../../src/ml/linear-model.js';
import { parseRankerConfig } from '../../src/ml/ranker-config.js';
import { loadVersion, saveVersion, type ModelMeta } from '../../src/ml/registry.js';
import { trainInWorker } from '../../src/ml/train.js';
import type { TrainJob } from '../../src/ml/train-worker.js';
import { precisionAt } from './step-precision.js';

const F = 4;
const COINS = 12;

/**
 * Synthetic cross-sections: COINS rows per time step. Inside a step, x0 raises a coin's chance and x1
 * lowers it; x2 is the same for every coin of a step and moves the whole step's base rate (a market
 * that lifts every coin: it cannot tell coins of one step apart); x3 is noise.
 */
function planted(steps: number, seed: number): { x: Float32Array; y: Float32Array; t: Float32Array; groups: Float64Array } {
  const random = new Random(seed);
  const n = steps * COINS;
  const x = new Float32Array(n * F);
  const y = new Float32Array(n);
  const t = new Float32Array(n);
  const groups = new Float64Array(n);
  for (let s = 0; s < steps; s++) {
    const market = 2 * random.normal();
    for (let c = 0; c < COINS; c++) {
      const i = s * COINS + c;
      const a = random.normal();
      const b = random.normal();
      x.set([a, b, market, random.normal()], i * F);
      const z = 1.5 * a - 0.75 * b + market;
      y[i] = random.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
      t[i] = y[i] === 1 ? random.next() : 1;
      groups[i] = s * 300_000;
    }
  }
  return { x, y, t, groups };
}

/** The penalised objective, computed row by row from its definition (no shared code with the fit's derivatives). */
function objective(x: Float32Array, y: Float32Array, groups: Float64Array, w: number[], b: number, l2: number, kind: LinearObjective): number {
  const penalty = 0.5 * l2 * w.reduce((a, v) => a + v * v, 0);
  const score = (i: number) => b + w.reduce((a, v, j) => a + v * (x[i * F + j] as number), 0);
  if (kind === 'pointwise') {
    let sum = 0;
    for (let i = 0; i < y.length; i++) {
      const p = 1 / (1 + Math.exp(-score(i)));
      sum -= (y[i] as number) * Math.log(p) + (1 - (y[i] as number)) * Math.log(1 - p);
    }
    return sum / y.length + penalty;
  }
  let sum = 0;
  let used = 0;
  for (let s = 0; s < y.length / COINS; s++) {
    const rows = Array.from({ length: COINS }, (_, c) => s * COINS + c);
    const positives = rows.reduce((a, i) => a + (y[i] as number), 0);
    if (positives === 0 || positives === COINS) continue;
    used++;
    const logZ = Math.log(rows.reduce((a, i) => a + Math.exp(score(i)), 0));
    for (const i of rows) sum -= ((y[i] as number) / positives) * (score(i) - logZ);
  }
  expect(groups.length).toBe(y.length);
  return sum / used + penalty;
}

describe('regularised linear rankers (plain TypeScript, Newton)', () => {
  const train = planted(800, 1);
  const test = planted(400, 2);

  for (const kind of ['pointwise', 'listwise'] as const) {
    it(`${kind}: the fit is the minimum of the penalised loss (finite differences of the brute-force objective vanish)`, () => {
      const l2 = 0.01;
      const fit = fitLinear(train.x, train.y, F, { objective: kind, l2, groups: train.groups });
      const w = Array.from(fit.w);
      const at = objective(train.x, train.y, train.groups, w, fit.b, l2, kind);
      const h = 1e-4;
      for (let j = 0; j <= F; j++) {
        if (j === F && kind === 'listwise') continue;
        const shift = (d: number) => (j < F ? objective(train.x, train.y, train.groups, w.map((v, q) => (q === j ? v + d : v)), fit.b, l2, kind) : objective(train.x, train.y, train.groups, w, fit.b + d, l2, kind));
        const plus = shift(h);
        const minus = shift(-h);
        expect(Math.abs(plus - minus) / (2 * h)).toBeLessThan(1e-5);
        expect(plus).toBeGreaterThanOrEqual(at - 1e-12);
        expect(minus).toBeGreaterThanOrEqual(at - 1e-12);
      }
      expect(fit.loss + 0.5 * l2 * w.reduce((a, v) => a + v * v, 0)).toBeCloseTo(at, 10);
      expect(linearLoss(fit, train.x, train.y, F, kind, train.groups)).toBeCloseTo(fit.loss, 12);
    });
  }

  it('learns the planted signal: the right signs and ratio, and picks that beat noise out of sample', () => {
    const fit = fitLinear(train.x, train.y, F, { objective: 'pointwise', l2: 1e-4 });
    expect(fit.w[0]).toBeGreaterThan(1.2);
    expect(fit.w[1]).toBeLessThan(-0.5);
    expect((fit.w[0] as number) / -(fit.w[1] as number)).toBeCloseTo(2, 0);
    expect(Math.abs(fit.w[3] as number)).toBeLessThan(0.15);
    const baseRate = test.y.reduce((a, v) => a + v, 0) / test.y.length;
    expect(precisionAt(3, linearScores(fit, test.x, F), test.y, COINS)).toBeGreaterThan(baseRate + 0.15);
  });

  it('listwise ranks coins within a time step: a feature shared by the whole step gets no weight, the within-step signal does', () => {
    const fit = fitLinear(train.x, train.y, F, { objective: 'listwise', l2: 1e-4, groups: train.groups });
    expect(fit.b).toBe(0);
    expect(Math.abs(fit.w[2] as number)).toBeLessThan(1e-9);
    expect(fit.w[0]).toBeGreaterThan(0.5);
    expect(fit.w[1]).toBeLessThan(-0.2);
    // Its picks out of sample are as good as those of the true within-step score (1.5·x0 − 0.75·x1), within noise.
    const truth = Array.from({ length: test.y.length }, (_, i) => 1.5 * (test.x[i * F] as number) - 0.75 * (test.x[i * F + 1] as number));
    expect(precisionAt(3, linearScores(fit, test.x, F), test.y, COINS)).toBeGreaterThan(precisionAt(3, truth, test.y, COINS) - 0.02);
  });

  it('a stronger penalty shrinks the weights toward zero', () => {
    const weak = fitLinear(train.x, train.y, F, { objective: 'pointwise', l2: 1e-3 });
    const strong = fitLinear(train.x, train.y, F, { objective: 'pointwise', l2: 10 });
    const norm = (w: Float64Array) => Math.hypot(...w);
    expect(norm(strong.w)).toBeLessThan(norm(weak.w) / 5);
  });

  it('refuses inputs of the wrong size and a listwise fit without time steps', () => {
    expect(() => fitLinear(train.x, train.y.subarray(1), F, { objective: 'pointwise', l2: 1 })).toThrow(/inputs for/);
    expect(() => fitLinear(train.x, train.y, F, { objective: 'listwise', l2: 1 })).toThrow(/time step/);
  });
});

describe('the linear kinds trained like the network (worker, registry)', () => {
  /** A job of the ranker's real width: the planted signal on the first inputs, zeros elsewhere. */
  function job(kind: 'linear' | 'linear-rank'): TrainJob {
    const widen = (d: ReturnType<typeof planted>) => {
      const n = d.y.length;
      const x = new Float32Array(n * FEATURE_COUNT);
      for (let i = 0; i < n; i++) x.set(d.x.subarray(i * F, (i + 1) * F), i * FEATURE_COUNT);
      return { x, p: d.y.slice(), t: d.t.slice(), groups: d.groups.slice() };
    };
    return { spec: { kind, features: FEATURE_COUNT, steps: 1, hidden: [32, 16], gruUnits: 16, seed: 1, learningRate: 0.001 }, epochs: 1, batchSize: 512, patience: 1, l2: [1e-3, 1e-1, 10], train: widen(planted(300, 3)), validation: widen(planted(150, 4)) };
  }

  for (const kind of ['linear', 'linear-rank'] as const) {
    it(`${kind}: bit-identical weights on the same rows, the kept penalty has the lowest validation loss, and the saved version predicts the same`, async () => {
      const a = await trainInWorker(job(kind));
      const b = await trainInWorker(job(kind));
      const bytes = (d: typeof a) => Buffer.from(new Uint8Array(d.artifacts.weightData as ArrayBuffer));
      expect(bytes(a).equals(bytes(b))).toBe(true);
      expect(Array.from(a.validationP)).toEqual(Array.from(b.validationP));
      expect(a.history).toHaveLength(3);
      expect(a.bestValLoss).toBe(Math.min(...a.history.map((h) => h.valLoss)));
      expect(a.history[a.bestEpoch]?.valLoss).toBe(a.bestValLoss);
      // The validation probabilities are σ(w·x + b) of a linear fit: the planted inputs lead the picks.
      const v = job(kind).validation;
      const baseRate = v.p.reduce((s, y) => s + y, 0) / v.p.length;
      let hits = 0;
      let steps = 0;
      for (let s = 0; s < v.p.length / COINS; s++) {
        const rows = Array.from({ length: COINS }, (_, c) => s * COINS + c).sort((p, q) => (a.validationP[q] as number) - (a.validationP[p] as number));
        hits += rows.slice(0, 3).reduce((h, i) => h + (v.p[i] as number), 0);
        steps++;
      }
      expect(hits / (3 * steps)).toBeGreaterThan(baseRate + 0.1);

      const root = mkdtempSync(join(tmpdir(), 'coinrx-linear-'));
      const config = parseRankerConfig({ train: { models: [kind] } });
      const meta: Omit<ModelMeta, 'version'> = {
        createdAt: '2021-01-01T00:00:00.000Z',
        kind,
        backend: a.backend,
        featureNames: FEATURE_NAMES,
        sequenceLength: config.features.sequenceLength,
        normalizer: { mean: new Array<number>(FEATURE_COUNT).fill(0), std: new Array<number>(FEATURE_COUNT).fill(1) } as unknown as ModelMeta['normalizer'],
        calibration: { a: 1, b: 0, center: 0, scale: 1 },
        baseRate,
        config,
        data: { paths: [], files: [], firstTs: 0, lastTs: 0 },
        spans: { train: { from: 0, to: 1 }, validation: { from: 1, to: 2 }, testFrom: 3 },
        metrics: {},
      };
      await saveVersion(root, a.artifacts, meta);
      const loaded = await loadVersion(root);
      expect(loaded.meta.kind).toBe(kind);
      const [p] = loaded.model.predict(tf.tensor2d(v.x, [v.p.length, FEATURE_COUNT])) as tf.Tensor[];
      expect(Array.from((p as tf.Tensor).dataSync())).toEqual(Array.from(a.validationP));
    });
  }
});
