import type { Decision, FeatureSnapshot } from '../../core/index.js';
import type { RlDecider } from '../../../strategies/rl-agent.js';
import { FEATURE_COUNT, featureRows } from '../feature-vector.js';
import type { Normalizer } from '../normalizer.js';
import { ACTION_COUNT, BUY, groupOf, HOLD, maskedArgmax, writeMask } from './actions.js';
import { decisionFor } from './action-replay.js';
import { NO_POSITION, OBSERVATION_SIZE, writeObservation, type PositionInputs } from './observation.js';
import { QForward, type QWeights } from './q-network.js';

export interface AgentPolicyOptions {
  readonly weights: QWeights;
  readonly normalizer: Normalizer;
  readonly feeRate: number;
  readonly maxPositions: number;
  /** Called with the wall time of each batch's decision (inference benchmark). */
  readonly onTiming?: (ms: number, markets: number) => void;
}

/**
 * The promoted network's greedy policy as a decider for strategies/rl-agent.ts: the same observation
 * (writeObservation on featureRows of the batch) and masks as the training environment, one forward pass
 * for all markets of the batch. BUY is offered whenever a slot is free; the engine drops it when no
 * ranking comes with the batch, which the environment models by masking it then (same outcome: HOLD).
 */
export function agentPolicy(options: AgentPolicyOptions): RlDecider {
  const forward = new QForward(options.weights);
  let raw = new Float32Array(0);
  let obs = new Float32Array(0);
  let q = new Float32Array(0);
  let mask = new Uint8Array(0);
  return (ts: number, snapshots: readonly FeatureSnapshot[], positions) => {
    const started = options.onTiming ? performance.now() : 0;
    const n = snapshots.length;
    if (raw.length < n * FEATURE_COUNT) {
      raw = new Float32Array(n * FEATURE_COUNT);
      obs = new Float32Array(n * OBSERVATION_SIZE);
      q = new Float32Array(n * ACTION_COUNT);
      mask = new Uint8Array(n * ACTION_COUNT);
    }
    featureRows(snapshots, raw);
    const openShare = positions.size / options.maxPositions;
    const canBuy = positions.size < options.maxPositions;
    for (let i = 0; i < n; i++) {
      const s = snapshots[i] as FeatureSnapshot;
      const v = positions.get(s.market);
      const inputs: PositionInputs = v ? { group: groupOf(v.state), amount: v.amount, entryPrice: v.entryPrice, entryTs: v.entryTs, orderPrice: v.orderPrice, orderTs: v.orderTs } : NO_POSITION;
      writeObservation(options.normalizer, raw, i * FEATURE_COUNT, inputs, s.price, s.touch?.bidPrice ?? s.price, ts, options.feeRate, openShare, obs, i * OBSERVATION_SIZE);
      writeMask(inputs.group, canBuy, mask, i * ACTION_COUNT);
    }
    forward.run(obs, n, q);
    const out: Decision[] = [];
    for (let i = 0; i < n; i++) {
      const m = i * ACTION_COUNT;
      const a = maskedArgmax(q, m, mask, m);
      const d = decisionFor(a, snapshots[i] as FeatureSnapshot, ts, (q[m + BUY] as number) - (q[m + HOLD] as number));
      if (d) out.push(d);
    }
    options.onTiming?.(performance.now() - started, n);
    return out;
  };
}
