import * as tf from '@tensorflow/tfjs';
import type { FeatureSnapshot } from '../core/index.js';
import type { BatchScorer } from '../../streams/index.js';
import { calibrate, logit, type Calibration } from './calibration.js';
import { FEATURE_COUNT, FEATURE_NAMES, featureRows } from './feature-vector.js';
import { normalizeInto, type Normalizer } from './normalizer.js';
import { stepsOf, type ModelKind } from './models.js';
import { loadVersion, type LoadedModel } from './registry.js';
import { RULE_SCORERS } from './simple-rules.js';

/** A BatchScorer that also exposes both heads of its last call. */
export interface ModelScorer extends BatchScorer {
  /** Calibrated P(target first) of the last scored batch, in its order. */
  readonly lastProbabilities: () => Float32Array;
  /** Expected time to the target (ms, capped at H) of the last scored batch. */
  readonly lastTimesMs: () => Float32Array;
  /** The simple rule that ranks instead of the network (`meta.ranksWith`), when training chose one. */
  readonly ranksWith?: string;
}

export interface ScorerParts {
  readonly model: tf.LayersModel;
  readonly kind: ModelKind;
  readonly sequenceLength: number;
  readonly normalizer: Normalizer;
  readonly calibration: Calibration;
  readonly horizonMs: number;
}

/**
 * Scores every market of a batch in one model call (one tensor of all markets, one predict, one read
 * back), which is what keeps a 250-market update cheap. The score is the calibrated probability of
 * reaching the target first. The sequence model keeps each market's last normalised inputs, so it must
 * see every batch in time order — as rankMarkets calls it.
 */
export function modelScorer(parts: ScorerParts): ModelScorer {
  const { model, kind, normalizer, calibration } = parts;
  const steps = stepsOf(kind, parts.sequenceLength);
  const history = new Map<string, Float32Array[]>();
  let raw = new Float32Array(0);
  let lastP = new Float32Array(0);
  let lastT = new Float32Array(0);
  const scorer = ((snapshots: readonly FeatureSnapshot[]): number[] => {
    const n = snapshots.length;
    if (n === 0) return [];
    if (raw.length < n * FEATURE_COUNT) raw = new Float32Array(n * FEATURE_COUNT);
    featureRows(snapshots, raw);
    const input = new Float32Array(n * steps * FEATURE_COUNT);
    for (let i = 0; i < n; i++) {
      const row = new Float32Array(FEATURE_COUNT);
      normalizeInto(normalizer, raw, i * FEATURE_COUNT, row, 0);
      if (steps === 1) {
        input.set(row, i * FEATURE_COUNT);
        continue;
      }
      const market = (snapshots[i] as FeatureSnapshot).market;
      let h = history.get(market);
      if (!h) history.set(market, (h = []));
      h.push(row);
      if (h.length > steps) h.shift();
      // A market with a short history repeats its oldest row, as the training sequences do.
      for (let k = 0; k < steps; k++) input.set(h[Math.max(0, h.length - steps + k)] as Float32Array, (i * steps + k) * FEATURE_COUNT);
    }
    const [p, t] = tf.tidy(() => {
      const x = tf.tensor(input, steps === 1 ? [n, FEATURE_COUNT] : [n, steps, FEATURE_COUNT]);
      const out = model.predict(x) as tf.Tensor[];
      return [(out[0] as tf.Tensor).dataSync() as Float32Array, (out[1] as tf.Tensor).dataSync() as Float32Array];
    }) as unknown as [Float32Array, Float32Array];
    lastP = new Float32Array(n);
    lastT = new Float32Array(n);
    const scores: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const q = calibrate(calibration, logit(p[i] as number));
      lastP[i] = q;
      lastT[i] = (t[i] as number) * parts.horizonMs;
      scores[i] = q;
    }
    return scores;
  }) as unknown as ModelScorer;
  Object.assign(scorer, { lastProbabilities: () => lastP, lastTimesMs: () => lastT });
  return scorer;
}

export function scorerFromLoaded(loaded: LoadedModel): ModelScorer {
  const { meta, model } = loaded;
  if (meta.featureNames.join(',') !== FEATURE_NAMES.join(',')) throw new Error(`model ${loaded.dir} was trained on other features (${meta.featureNames.length} inputs) than this build computes (${FEATURE_COUNT})`);
  return modelScorer({ model, kind: meta.kind, sequenceLength: meta.sequenceLength, normalizer: meta.normalizer, calibration: meta.calibration, horizonMs: meta.config.label.horizon });
}

/**
 * Loads the active version of a registry (or one version folder) as a BatchScorer for rankMarkets. When
 * training found a simple rule better than the network on validation (`meta.ranksWith`), the rule ranks;
 * the network still gives its calibrated probabilities (`lastProbabilities`).
 */
export async function loadModelScorer(dir: string): Promise<ModelScorer> {
  const loaded = await loadVersion(dir);
  const net = scorerFromLoaded(loaded);
  const rule = loaded.meta.ranksWith;
  if (rule === undefined || rule === 'model') return net;
  const score = RULE_SCORERS[rule];
  const scorer = ((snapshots: readonly FeatureSnapshot[]) => {
    net(snapshots);
    return score(snapshots);
  }) as unknown as ModelScorer;
  Object.assign(scorer, { lastProbabilities: () => net.lastProbabilities(), lastTimesMs: () => net.lastTimesMs(), ranksWith: rule });
  return scorer;
}
