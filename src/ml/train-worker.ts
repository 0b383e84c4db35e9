import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../core/random.js';
import { initBackend, type BackendName } from './backend.js';
import { buildModel, type ModelSpec } from './models.js';

/** What the main thread sends: the model to build, the training and validation arrays, the schedule. */
export interface TrainJob {
  readonly spec: ModelSpec;
  readonly epochs: number;
  readonly batchSize: number;
  readonly patience: number;
  readonly backend?: BackendName;
  readonly train: { readonly x: Float32Array; readonly p: Float32Array; readonly t: Float32Array };
  readonly validation: { readonly x: Float32Array; readonly p: Float32Array; readonly t: Float32Array };
}

export type TrainMessage =
  | { readonly type: 'progress'; readonly epoch: number; readonly epochs: number; readonly batch: number; readonly batches: number; readonly loss: number }
  | { readonly type: 'epoch'; readonly epoch: number; readonly loss: number; readonly valLoss: number }
  | {
      readonly type: 'done';
      readonly backend: string;
      readonly artifacts: tf.io.ModelArtifacts;
      readonly validationP: Float32Array;
      readonly validationT: Float32Array;
      readonly bestEpoch: number;
      readonly bestValLoss: number;
      readonly history: readonly { epoch: number; loss: number; valLoss: number }[];
    }
  | { readonly type: 'error'; readonly message: string };

function shape(spec: ModelSpec, n: number): number[] {
  return spec.kind === 'mlp' ? [n, spec.features] : [n, spec.steps, spec.features];
}

/**
 * Trains one model in this thread: seeded initial weights, a seeded shuffle of the training rows each
 * epoch (within the training span only; tfjs's own shuffle uses Math.random), early stopping on the
 * validation loss of the probability head, and the best epoch's weights restored at the end.
 */
export async function runTrainJob(job: TrainJob, post: (m: TrainMessage, transfer?: ArrayBuffer[]) => void): Promise<void> {
  const info = await initBackend(job.backend);
  const { spec } = job;
  const n = job.train.p.length;
  const nv = job.validation.p.length;
  const model = buildModel(spec);
  const x = tf.tensor(job.train.x, shape(spec, n));
  const yp = tf.tensor2d(job.train.p, [n, 1]);
  const yt = tf.tensor2d(job.train.t, [n, 1]);
  const xv = tf.tensor(job.validation.x, shape(spec, nv));
  const ypv = tf.tensor2d(job.validation.p, [nv, 1]);
  const ytv = tf.tensor2d(job.validation.t, [nv, 1]);
  const random = new Random(spec.seed);
  const batches = Math.ceil(n / job.batchSize);
  let best = Infinity;
  let bestEpoch = -1;
  let bestWeights: tf.Tensor[] | undefined;
  const history: { epoch: number; loss: number; valLoss: number }[] = [];
  for (let epoch = 0; epoch < job.epochs; epoch++) {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = random.int(i + 1);
      const tmp = order[i] as number;
      order[i] = order[j] as number;
      order[j] = tmp;
    }
    const idx = tf.tensor1d(order, 'int32');
    const xs = tf.gather(x, idx);
    const ps = tf.gather(yp, idx);
    const ts = tf.gather(yt, idx);
    const fit = await model.fit(xs, [ps, ts], {
      epochs: 1,
      batchSize: job.batchSize,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: async (batch, logs) => {
          if (batch % 10 === 0) post({ type: 'progress', epoch, epochs: job.epochs, batch, batches, loss: logs?.['loss'] ?? NaN });
        },
      },
    });
    tf.dispose([idx, xs, ps, ts]);
    const loss = (fit.history['loss']?.[0] as number | undefined) ?? NaN;
    const pv = tf.tidy(() => (model.predict(xv, { batchSize: 4096 }) as tf.Tensor[])[0] as tf.Tensor);
    const valLoss = tf.tidy(() => tf.metrics.binaryCrossentropy(ypv, pv).mean().dataSync()[0] as number);
    pv.dispose();
    history.push({ epoch, loss, valLoss });
    post({ type: 'epoch', epoch, loss, valLoss });
    if (valLoss < best - 1e-5) {
      best = valLoss;
      bestEpoch = epoch;
      bestWeights?.forEach((w) => w.dispose());
      bestWeights = model.getWeights().map((w) => w.clone());
    } else if (epoch - bestEpoch >= job.patience) break;
  }
  if (bestWeights) model.setWeights(bestWeights);
  const [pv, tv] = model.predict(xv, { batchSize: 4096 }) as tf.Tensor[];
  const validationP = (await (pv as tf.Tensor).data()) as Float32Array;
  const validationT = (await (tv as tf.Tensor).data()) as Float32Array;
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save({ save: async (a) => ((artifacts = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) }) }, { includeOptimizer: true });
  if (!artifacts) throw new Error('model.save produced no artifacts');
  const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
  artifacts = { ...artifacts, weightData };
  post({ type: 'done', backend: info.backend, artifacts, validationP, validationT, bestEpoch, bestValLoss: best, history }, [weightData]);
  tf.dispose([x, yp, yt, xv, ypv, ytv, pv as tf.Tensor, tv as tf.Tensor, ...(bestWeights ?? [])]);
  model.dispose();
}

if (parentPort && workerData && (workerData as { kind?: string }).kind === 'coinrx-train') {
  const port = parentPort;
  runTrainJob((workerData as { job: TrainJob }).job, (m, transfer) => port.postMessage(m, transfer ?? [])).catch((error: unknown) => {
    port.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies TrainMessage);
  });
}
