/**
 * The ranker: time to train on the first two months of binance-spot-2021-5m (30 coins, 5m candles;
 * dataset build + every model kind + calibration + save) and time to score 250 markets in one batch
 * with the MLP and the GRU scorer (median of repeated calls after a warm-up).
 * `BENCH_RANKER_TRAIN=0` skips the training part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { FeatureSnapshot } from '../src/core/index.js';
import { WINDOWS } from '../src/core/index.js';
import { Random } from '../src/core/random.js';
import { initBackend } from '../src/ml/backend.js';
import { FEATURE_COUNT } from '../src/ml/feature-vector.js';
import { modelScorer } from '../src/ml/model-scorer.js';
import { buildModel, type ModelKind } from '../src/ml/models.js';
import { parseRankerConfig } from '../src/ml/ranker-config.js';
import { trainRanker } from '../src/ml/train.js';
import { sharedData } from '../test/helpers/shared-data.js';

function snapshots(n: number, random: Random): FeatureSnapshot[] {
  return Array.from({ length: n }, (_, i) => {
    const price = 10 * Math.exp(random.normal());
    const windows = Object.fromEntries(WINDOWS.map((w) => [w, { vwap: price * (1 + 0.01 * random.normal()), volume: 1000 * random.next(), value: 1e6 * random.next(), trades: Math.floor(100 * random.next()) }])) as FeatureSnapshot['windows'];
    return { market: `C${i}/USDT`, ts: 0, price, windows, volatility: 0.01 + 0.02 * random.next(), position: random.next(), high: price * 1.05, low: price * 0.95, regime: { '1h': 'bull', '6h': 'flat', '12h': 'bear', '24h': 'flat' } };
  });
}

async function inference(kind: ModelKind, markets: number): Promise<{ medianMs: number; p95Ms: number }> {
  const steps = 6;
  const model = buildModel({ kind, features: FEATURE_COUNT, steps: kind === 'mlp' ? 1 : steps, hidden: [32, 16], gruUnits: 16, seed: 1, learningRate: 0.001 });
  const score = modelScorer({ model, kind, sequenceLength: steps, normalizer: { mean: new Array(FEATURE_COUNT).fill(0), std: new Array(FEATURE_COUNT).fill(1), clip: 5 }, calibration: { a: 1, b: 0, center: 0, scale: 1 }, horizonMs: 43_200_000 });
  const batch = snapshots(markets, new Random(1));
  for (let i = 0; i < 20; i++) score(batch);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    score(batch);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  model.dispose();
  return { medianMs: Number((times[100] as number).toFixed(3)), p95Ms: Number((times[190] as number).toFixed(3)) };
}

export async function run(): Promise<Record<string, unknown>> {
  const info = await initBackend();
  const figures: Record<string, unknown> = { backend: info.backend, cores: (await import('node:os')).availableParallelism() };
  figures['score250Mlp'] = await inference('mlp', 250);
  figures['score250Gru'] = await inference('gru', 250);
  if (process.env['BENCH_RANKER_TRAIN'] !== '0') {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-bench-ranker-'));
    const t0 = performance.now();
    const result = await trainRanker({ paths: [sharedData('candles/binance-spot-2021-5m')], config: parseRankerConfig({}), out, to: Date.UTC(2021, 1, 27, 12) });
    const selection = result.meta.metrics['selection'] as { kind: string; folds: { seconds: number; rows: number; epochs: number }[] }[];
    figures['train'] = {
      totalSeconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
      datasetSeconds: Number(result.seconds.dataset.toFixed(1)),
      rows: result.dataset.rows,
      models: selection.map((s) => ({ kind: s.kind, seconds: Number(s.folds.reduce((a, f) => a + f.seconds, 0).toFixed(1)), trainingRows: s.folds[0]?.rows, epochs: s.folds[0]?.epochs })),
      kept: result.meta.kind,
    };
    rmSync(out, { recursive: true, force: true });
  }
  tf.disposeVariables();
  return figures;
}
