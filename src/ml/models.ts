import * as tf from '@tensorflow/tfjs';
import { isLinearKind, type ModelKind } from './model-kind.js';

export { isLinearKind, isTreeKind, MODEL_KINDS, stepsOf, type ModelKind } from './model-kind.js';

export interface ModelSpec {
  readonly kind: ModelKind;
  readonly features: number;
  /** Sequence length (1 for the MLP). */
  readonly steps: number;
  /** Hidden layers of the MLP/GRU trunk (the linear kinds have none). */
  readonly hidden: readonly number[];
  readonly gruUnits: number;
  readonly seed: number;
  readonly learningRate: number;
}

/**
 * Two heads on one trunk (on the inputs directly for the linear kinds): `p` = P(target before stop within H) and `t` = expected time to the target as
 * a fraction of H (H when it is not reached), trained together so the trunk learns what both need.
 * Every initializer carries a seed derived from `spec.seed`: the same seed gives the same weights.
 */
export function buildModel(spec: ModelSpec): tf.LayersModel {
  let seed = spec.seed * 1000;
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: seed++ });
  const input = tf.input({ shape: spec.kind === 'gru' ? [spec.steps, spec.features] : [spec.features], name: 'x' });
  let h: tf.SymbolicTensor = input;
  if (spec.kind === 'gru') {
    h = tf.layers.gru({ units: spec.gruUnits, kernelInitializer: init(), recurrentInitializer: tf.initializers.orthogonal({ seed: seed++ }), name: 'gru' }).apply(h) as tf.SymbolicTensor;
  }
  for (const [i, units] of (isLinearKind(spec.kind) ? [] : spec.hidden).entries()) {
    h = tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(), name: `dense_${i}` }).apply(h) as tf.SymbolicTensor;
  }
  const p = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(), name: 'p' }).apply(h) as tf.SymbolicTensor;
  const t = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(), name: 't' }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [p, t], name: `ranker_${spec.kind}` });
  compileModel(model, spec);
  return model;
}

/**
 * Adam; log-loss on `p`, squared error on `t` (a fraction of H, so its loss is naturally a few times
 * smaller than the log-loss and the probability head leads). Losses are named, not functions: tfjs can
 * only serialise named losses into model.json's training config (and it has no loss weights).
 */
export function compileModel(model: tf.LayersModel, spec: Pick<ModelSpec, 'learningRate'>): void {
  model.compile({ optimizer: tf.train.adam(spec.learningRate), loss: ['binaryCrossentropy', 'meanSquaredError'] });
}
