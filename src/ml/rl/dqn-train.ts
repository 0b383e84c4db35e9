import * as tf from '@tensorflow/tfjs';
import { Random } from '../../core/random.js';
import { initBackend, type BackendName } from '../backend.js';
import { ACTION_COUNT } from './actions.js';
import { OBSERVATION_SIZE } from './observation.js';
import type { QWeights } from './q-network.js';
import type { ReplayMemory } from './replay-memory.js';

/** current_player's training on best_player's memory. */
export interface DqnJob {
  readonly weights: QWeights;
  readonly memory: ReplayMemory;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly targetUpdate: number;
  readonly huberDelta: number;
  readonly seed: number;
  readonly backend?: BackendName;
}

export interface DqnResult {
  readonly weights: QWeights;
  readonly backend: string;
  /** Mean loss per 100 steps. */
  readonly losses: readonly number[];
  readonly samplesPerSecond: number;
  readonly seconds: number;
}

let jobCounter = 0;

export type DqnMessage = { readonly type: 'progress'; readonly step: number; readonly steps: number; readonly loss: number } | { readonly type: 'done'; readonly result: DqnResult } | { readonly type: 'error'; readonly message: string };

function forward(params: readonly tf.Tensor[], x: tf.Tensor2D, hidden: number, dueling: boolean): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  for (let i = 0; i < hidden; i++) h = tf.relu(tf.add(tf.matMul(h, params[2 * i] as tf.Tensor2D), params[2 * i + 1] as tf.Tensor1D)) as tf.Tensor2D;
  const k = 2 * hidden;
  if (!dueling) return tf.add<tf.Tensor2D>(tf.matMul(h, params[k] as tf.Tensor2D), params[k + 1] as tf.Tensor1D);
  const v = tf.add(tf.matMul(h, params[k] as tf.Tensor2D), params[k + 1] as tf.Tensor1D);
  const a = tf.add(tf.matMul(h, params[k + 2] as tf.Tensor2D), params[k + 3] as tf.Tensor1D);
  return tf.add(v, tf.sub(a, tf.mean(a, 1, true))) as tf.Tensor2D;
}

/**
 * Double DQN on n-step transitions (y = R + γⁿ·Q_target(s', argmax_valid Q_online(s'))) with a dueling head (when the spec says so): the online network picks the next action among
 * the valid ones, the target network (refreshed every `targetUpdate` steps) values it; Huber loss; Adam.
 * Minibatches are drawn with a seeded generator, so a job is reproducible on a given backend.
 */
export async function runDqnJob(job: DqnJob, post: (m: DqnMessage) => void = () => {}): Promise<DqnResult> {
  const info = await initBackend(job.backend);
  const { spec } = job.weights;
  const hidden = spec.hidden.length;
  const online = job.weights.tensors.map((t) => tf.variable(tf.tensor(t.data, [...t.shape]), true, `dqn_${++jobCounter}_${t.name}`));
  let target = online.map((v) => v.clone() as tf.Tensor);
  const optimizer = tf.train.adam(job.learningRate);
  const random = new Random(job.seed);
  const { memory } = job;
  const B = Math.min(job.batchSize, memory.n);
  const xs = new Float32Array(B * OBSERVATION_SIZE);
  const xn = new Float32Array(B * OBSERVATION_SIZE);
  const acts = new Int32Array(B);
  const rew = new Float32Array(B);
  const discount = new Float32Array(B);
  const maskPenalty = new Float32Array(B * ACTION_COUNT);
  const losses: number[] = [];
  let acc = 0;
  const started = performance.now();
  for (let step = 0; step < job.steps && memory.n > 0; step++) {
    for (let i = 0; i < B; i++) {
      const j = random.int(memory.n);
      xs.set(memory.obs.subarray(j * OBSERVATION_SIZE, (j + 1) * OBSERVATION_SIZE), i * OBSERVATION_SIZE);
      xn.set(memory.next.subarray(j * OBSERVATION_SIZE, (j + 1) * OBSERVATION_SIZE), i * OBSERVATION_SIZE);
      acts[i] = memory.action[j] as number;
      rew[i] = memory.reward[j] as number;
      discount[i] = memory.discount[j] as number;
      for (let a = 0; a < ACTION_COUNT; a++) maskPenalty[i * ACTION_COUNT + a] = memory.nextMask[j * ACTION_COUNT + a] === 1 ? 0 : -1e9;
    }
    const y = tf.tidy(() => {
      const next = tf.tensor2d(xn, [B, OBSERVATION_SIZE]);
      const pick = tf.argMax(tf.add(forward(online, next, hidden, spec.dueling), tf.tensor2d(maskPenalty, [B, ACTION_COUNT])), 1);
      const qNext = tf.sum(tf.mul(forward(target, next, hidden, spec.dueling), tf.oneHot(pick, ACTION_COUNT)), 1);
      return tf.add(tf.tensor1d(rew), tf.mul(tf.tensor1d(discount), qNext));
    });
    const x = tf.tensor2d(xs, [B, OBSERVATION_SIZE]);
    const oneHot = tf.oneHot(tf.tensor1d(acts, 'int32'), ACTION_COUNT);
    const loss = optimizer.minimize(
      () => {
        const q = tf.sum(tf.mul(forward(online, x, hidden, spec.dueling), oneHot), 1);
        return tf.losses.huberLoss(y, q, undefined, job.huberDelta) as tf.Scalar;
      },
      true,
      online,
    );
    acc += (loss as tf.Scalar).dataSync()[0] as number;
    tf.dispose([y, x, oneHot, loss as tf.Scalar]);
    if ((step + 1) % 100 === 0 || step + 1 === job.steps) {
      const n = (step % 100) + 1;
      losses.push(acc / n);
      post({ type: 'progress', step: step + 1, steps: job.steps, loss: acc / n });
      acc = 0;
    }
    if ((step + 1) % job.targetUpdate === 0) {
      tf.dispose(target);
      target = online.map((v) => v.clone() as tf.Tensor);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const tensors = await Promise.all(job.weights.tensors.map(async (t, i) => ({ name: t.name, shape: [...t.shape], data: (await (online[i] as tf.Variable).data()) as Float32Array })));
  tf.dispose([...online, ...target]);
  optimizer.dispose();
  return { weights: { spec, tensors }, backend: info.backend, losses, seconds, samplesPerSecond: seconds > 0 ? (job.steps * B) / seconds : 0 };
}

/** Q values through the training path (tfjs), for checking the JS acting path against it. */
export async function tfQValues(weights: QWeights, x: Float32Array, n: number, backend?: BackendName): Promise<Float32Array> {
  await initBackend(backend);
  const params = weights.tensors.map((t) => tf.tensor(t.data, [...t.shape]));
  const q = tf.tidy(() => forward(params, tf.tensor2d(x, [n, weights.spec.inputs]), weights.spec.hidden.length, weights.spec.dueling));
  const out = (await q.data()) as Float32Array;
  tf.dispose([...params, q]);
  return out;
}
