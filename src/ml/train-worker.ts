import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../core/random.js';
import { initBackend, type BackendName } from './backend.js';
import { fitLinear, linearLoss, linearScores, type LinearObjective } from './linear-model.js';
import { buildModel, isLinearKind, isTreeKind, type ModelSpec } from './models.js';
import { fitTrees, treeArtifacts, treeScores, type TreeFitOptions } from './tree-model.js';

/** What the main thread sends: the model to build, the training and validation arrays, the schedule. */
export interface TrainJob {
  readonly spec: ModelSpec;
  readonly epochs: number;
  readonly batchSize: number;
  readonly patience: number;
  readonly backend?: BackendName;
  /** Penalties tried by the linear kinds (the one with the lowest validation loss is kept). */
  readonly l2?: readonly number[];
  /** The boosted trees' settings (`gbm-rank`). */
  readonly trees?: TreeFitOptions;
  /** `groups`: each row's snapshot time (the listwise objective ranks the coins of one time against each other). */
  readonly train: { readonly x: Float32Array; readonly p: Float32Array; readonly t: Float32Array; readonly groups?: Float64Array };
  readonly validation: { readonly x: Float32Array; readonly p: Float32Array; readonly t: Float32Array; readonly groups?: Float64Array };
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
  return spec.kind === 'gru' ? [n, spec.steps, spec.features] : [n, spec.features];
}

/**
 * Trains one model in this thread: seeded initial weights, a seeded shuffle of the training rows each
 * epoch (within the training span only; tfjs's own shuffle uses Math.random), early stopping on the
 * validation loss of the probability head, and the best epoch's weights restored at the end.
 */
export async function runTrainJob(job: TrainJob, post: (m: TrainMessage, transfer?: ArrayBuffer[]) => void): Promise<void> {
  const info = await initBackend(job.backend);
  const { spec } = job;
  if (isLinearKind(spec.kind)) return runLinearJob(job, info.backend, post);
  if (isTreeKind(spec.kind)) return runTreeJob(job, info.backend, post);
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
  const { artifacts, weightData, validationP, validationT } = await predictAndSave(model, xv);
  post({ type: 'done', backend: info.backend, artifacts, validationP, validationT, bestEpoch, bestValLoss: best, history }, [weightData]);
  tf.dispose([x, yp, yt, xv, ypv, ytv, ...(bestWeights ?? [])]);
  model.dispose();
}

/** The fitted model's validation predictions (both heads) and its saved artifacts, the weights joined into one transferable buffer. */
async function predictAndSave(model: tf.LayersModel, xv: tf.Tensor): Promise<{ artifacts: tf.io.ModelArtifacts; weightData: ArrayBuffer; validationP: Float32Array; validationT: Float32Array }> {
  const [pv, tv] = model.predict(xv, { batchSize: 4096 }) as tf.Tensor[];
  const validationP = (await (pv as tf.Tensor).data()) as Float32Array;
  const validationT = (await (tv as tf.Tensor).data()) as Float32Array;
  tf.dispose([pv as tf.Tensor, tv as tf.Tensor]);
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save({ save: async (a) => ((saved = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) }) }, { includeOptimizer: true });
  if (!saved) throw new Error('model.save produced no artifacts');
  const weightData = tf.io.CompositeArrayBuffer.join(saved.weightData ?? new ArrayBuffer(0));
  return { artifacts: { ...saved, weightData }, weightData, validationP, validationT };
}

/**
 * The linear kinds: one exact fit per penalty in `job.l2` (src/ml/linear-model.ts), the penalty with the
 * lowest validation loss kept (the linear counterpart of early stopping: `history` has one entry per
 * penalty, `bestEpoch` is the kept one's index), the time head fitted pointwise with the same penalty,
 * and the weights put into the tfjs model of the same kind, so the registry, the scorer and the
 * evaluation treat it like the network.
 */
async function runLinearJob(job: TrainJob, backend: string, post: (m: TrainMessage, transfer?: ArrayBuffer[]) => void): Promise<void> {
  const { spec } = job;
  const f = spec.features;
  const objective: LinearObjective = spec.kind === 'linear-rank' ? 'listwise' : 'pointwise';
  const grid = job.l2 && job.l2.length > 0 ? job.l2 : [1e-3];
  const history: { epoch: number; loss: number; valLoss: number }[] = [];
  let best: { fit: ReturnType<typeof fitLinear>; valLoss: number; index: number; l2: number } | undefined;
  for (const [index, l2] of grid.entries()) {
    const fit = fitLinear(job.train.x, job.train.p, f, { objective, l2, ...(job.train.groups ? { groups: job.train.groups } : {}) });
    const valLoss = linearLoss(fit, job.validation.x, job.validation.p, f, objective, job.validation.groups);
    history.push({ epoch: index, loss: fit.loss, valLoss });
    post({ type: 'epoch', epoch: index, loss: fit.loss, valLoss });
    if (!best || valLoss < best.valLoss - 1e-9) best = { fit, valLoss, index, l2 };
  }
  if (!best) throw new Error('no penalty to fit the linear model with');
  const time = fitLinear(job.train.x, job.train.t, f, { objective: 'pointwise', l2: best.l2 });
  const model = buildModel(spec);
  const head = (name: string, w: Float64Array, b: number): void => model.getLayer(name).setWeights([tf.tensor2d(Float32Array.from(w), [f, 1]), tf.tensor1d([b])]);
  head('p', best.fit.w, best.fit.b);
  head('t', time.w, time.b);
  const xv = tf.tensor2d(job.validation.x, [job.validation.p.length, f]);
  const { artifacts, weightData, validationP, validationT } = await predictAndSave(model, xv);
  post({ type: 'done', backend, artifacts, validationP, validationT, bestEpoch: best.index, bestValLoss: best.valLoss, history }, [weightData]);
  xv.dispose();
  model.dispose();
}

/** `gbm-rank`: boosted trees on the per-time-step softmax (tree-model.ts); `history` has one entry per tree. */
function runTreeJob(job: TrainJob, backend: string, post: (m: TrainMessage, transfer?: ArrayBuffer[]) => void): void {
  const f = job.spec.features;
  if (!job.trees || !job.train.groups || !job.validation.groups) throw new Error('gbm-rank needs its tree settings and the time step of every row');
  const fit = fitTrees({ x: job.train.x, y: job.train.p, groups: job.train.groups }, { x: job.validation.x, y: job.validation.p, groups: job.validation.groups }, f, job.trees);
  const time = fitLinear(job.train.x, job.train.t, f, { objective: 'pointwise', l2: 1 });
  const artifacts = treeArtifacts({ features: f, trees: fit.trees, time: { w: Array.from(time.w), b: time.b } });
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const validationP = Float32Array.from(treeScores(fit.trees, job.validation.x, f), sig);
  const validationT = Float32Array.from(linearScores(time, job.validation.x, f), sig);
  const history = fit.history.map((h) => ({ epoch: h.round - 1, loss: h.loss, valLoss: h.valLoss }));
  for (const h of history) post({ type: 'epoch', ...h });
  post({ type: 'done', backend, artifacts, validationP, validationT, bestEpoch: fit.bestRound - 1, bestValLoss: fit.bestValLoss, history });
}

if (parentPort && workerData && (workerData as { kind?: string }).kind === 'coinrx-train') {
  const port = parentPort;
  runTrainJob((workerData as { job: TrainJob }).job, (m, transfer) => port.postMessage(m, transfer ?? [])).catch((error: unknown) => {
    port.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies TrainMessage);
  });
}
