import type { Decision, FeatureSnapshot } from '../../core/index.js';
import type { RlDecider } from '../../../strategies/rl-agent.js';
import { FEATURE_COUNT, featureRows } from '../feature-vector.js';
import type { Normalizer } from '../normalizer.js';
import { ACTION_COUNT, BUY, entryOffered, groupOf, HOLD, maskedArgmax, writeMask } from './actions.js';
import { decisionFor } from './action-replay.js';
import { SIGNAL_FEATURES, writeSignal, type SignalScore, type SignalSpec } from './market-signal.js';
import { NO_POSITION, OBSERVATION_SIZE, writeObservation, type PositionInputs } from './observation.js';
import { QForward, type QWeights } from './q-network.js';
import type { ActionConfig } from './rl-config.js';

export interface AgentPolicyOptions {
  readonly weights: QWeights;
  readonly normalizer: Normalizer;
  readonly feeRate: number;
  readonly maxPositions: number;
  /** The ranker's signal in the observation (the agent's `meta.signal` and its score); without it the inputs are zeros, as on a tape without `applySignal`. */
  readonly signal?: { readonly spec: SignalSpec; readonly score: SignalScore };
  /** The agent's action space (`agentActions(meta)`); absent: BUY wherever a slot is free. */
  readonly actions?: ActionConfig;
  /** Called with the wall time of each batch's decision (inference benchmark). */
  readonly onTiming?: (ms: number, markets: number) => void;
}

/**
 * The promoted network's greedy policy as a decider for strategies/rl-agent.ts: the same observation
 * (`agentObserver`) and masks as the training environment, one forward pass
 * for all markets of the batch. BUY is offered whenever a slot is free; the engine drops it when no
 * ranking comes with the batch, which the environment models by masking it then (same outcome: HOLD).
 */
export function agentPolicy(options: AgentPolicyOptions): RlDecider {
  const forward = new QForward(options.weights);
  const observe = agentObserver(options);
  let q = new Float32Array(0);
  return (ts: number, snapshots: readonly FeatureSnapshot[], positions) => {
    const started = options.onTiming ? performance.now() : 0;
    const n = snapshots.length;
    if (q.length < n * ACTION_COUNT) q = new Float32Array(n * ACTION_COUNT);
    const { obs, mask } = observe(ts, snapshots, positions);
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

/** One batch's observations (`OBSERVATION_SIZE` per market, in batch order) and action masks. */
export interface BatchObservation {
  readonly obs: Float32Array;
  readonly mask: Uint8Array;
}

/**
 * The engine side of the observation: for a batch's snapshots and the bot's positions, what the training
 * environment writes for the same instant — featureRows of the batch, the signal from the same raw score
 * through the same writeSignal, the position inputs from the position views. The buffers are reused.
 */
export function agentObserver(options: Pick<AgentPolicyOptions, 'normalizer' | 'feeRate' | 'maxPositions' | 'signal' | 'actions'>): (ts: number, snapshots: readonly FeatureSnapshot[], positions: Parameters<RlDecider>[2]) => BatchObservation {
  let raw = new Float32Array(0);
  let signal = new Float32Array(0);
  let obs = new Float32Array(0);
  let mask = new Uint8Array(0);
  return (ts, snapshots, positions) => {
    const n = snapshots.length;
    if (raw.length < n * FEATURE_COUNT) {
      raw = new Float32Array(n * FEATURE_COUNT);
      signal = new Float32Array(n * SIGNAL_FEATURES);
      obs = new Float32Array(n * OBSERVATION_SIZE);
      mask = new Uint8Array(n * ACTION_COUNT);
    }
    featureRows(snapshots, raw);
    if (options.signal && n > 0) {
      const scores = options.signal.score(snapshots);
      for (let i = 0; i < n; i++) writeSignal(options.signal.spec, scores[i] as number, signal, i * SIGNAL_FEATURES);
    }
    const openShare = positions.size / options.maxPositions;
    const canBuy = positions.size < options.maxPositions;
    for (let i = 0; i < n; i++) {
      const s = snapshots[i] as FeatureSnapshot;
      const v = positions.get(s.market);
      const inputs: PositionInputs = v ? { group: groupOf(v.state), amount: v.amount, entryPrice: v.entryPrice, entryTs: v.entryTs, orderPrice: v.orderPrice, orderTs: v.orderTs } : NO_POSITION;
      writeObservation(options.normalizer, raw, i * FEATURE_COUNT, signal, i * SIGNAL_FEATURES, inputs, s.price, s.touch?.bidPrice ?? s.price, ts, options.feeRate, openShare, obs, i * OBSERVATION_SIZE);
      writeMask(inputs.group, canBuy && entryOffered(options.actions, signal[i * SIGNAL_FEATURES + 1] as number), mask, i * ACTION_COUNT);
    }
    return { obs, mask };
  };
}
