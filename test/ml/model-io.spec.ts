import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { initBackend } from '../../src/ml/backend.js';
import { fileHandler } from '../../src/ml/file-io.js';
import { buildModel, type ModelSpec } from '../../src/ml/models.js';
import { trainInWorker } from '../../src/ml/train.js';
import type { TrainJob } from '../../src/ml/train-worker.js';

const spec: ModelSpec = { kind: 'mlp', features: 6, steps: 1, hidden: [8], gruUnits: 4, seed: 3, learningRate: 0.01 };

function job(seed: number, kind: 'mlp' | 'gru' = 'mlp'): TrainJob {
  const random = new Random(11);
  const steps = kind === 'mlp' ? 1 : 3;
  const make = (n: number) => {
    const x = Float32Array.from({ length: n * steps * 6 }, () => random.normal());
    const p = Float32Array.from({ length: n }, (_, i) => ((x[i * steps * 6] as number) + 0.5 * random.normal() > 0 ? 1 : 0));
    const t = Float32Array.from({ length: n }, () => random.next());
    return { x, p, t };
  };
  return { spec: { ...spec, kind, steps, seed }, epochs: 3, batchSize: 64, patience: 2, train: make(600), validation: make(200) };
}

describe('TensorFlow.js backend, save/load and reproducibility', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('picks a backend that loads (tfjs-node if present, else wasm from node_modules, else cpu)', async () => {
    const info = await initBackend();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(info.backend);
    expect(tf.getBackend()).toBe(info.backend);
  });

  it('round-trips a trained model with its optimizer through model.json + weights.bin without tfjs-node', async () => {
    const model = buildModel(spec);
    const x = tf.randomNormal([32, 6], 0, 1, 'float32', 1);
    const y = tf.randomUniform([32, 1], 0, 1, 'float32', 2).round();
    await model.fit(x, [y, y], { epochs: 1, verbose: 0, shuffle: false });
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-model-'));
    await model.save(fileHandler(dir), { includeOptimizer: true });
    const loaded = await tf.loadLayersModel(fileHandler(dir));
    const before = (model.predict(x) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
    const after = (loaded.predict(x) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
    expect(after).toEqual(before);
    expect(loaded.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())));
    // The optimizer state came back too: training can resume where it stopped.
    const opt = (loaded as unknown as { optimizer: tf.Optimizer }).optimizer;
    expect(opt.getClassName()).toBe('Adam');
    expect((await opt.getWeights()).length).toBeGreaterThan(1);
  });

  it('trains in a worker thread: the same seed gives the same weights, another seed other weights', async () => {
    const a = await trainInWorker(job(5));
    const b = await trainInWorker(job(5));
    const c = await trainInWorker(job(6));
    const bytes = (d: Awaited<ReturnType<typeof trainInWorker>>) => new Uint8Array(d.artifacts.weightData as ArrayBuffer);
    expect(bytes(a).length).toBeGreaterThan(0);
    expect(Buffer.from(bytes(a)).equals(Buffer.from(bytes(b)))).toBe(true);
    expect(Array.from(a.validationP)).toEqual(Array.from(b.validationP));
    expect(Buffer.from(bytes(a)).equals(Buffer.from(bytes(c)))).toBe(false);
    expect(a.history.length).toBeGreaterThan(0);
  });

  it('trains the sequence model (GRU) in a worker too', async () => {
    const done = await trainInWorker(job(5, 'gru'));
    expect(done.validationP.length).toBe(200);
    expect(done.bestValLoss).toBeLessThan(0.75);
  });
});
