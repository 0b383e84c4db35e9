import { FEATURE_COUNT } from '../feature-vector.js';
import { BUY, CANCEL_BUY, CANCEL_SELL, HOLD, SELL } from './actions.js';
import type { SignalSpec } from './market-signal.js';
import { POSITION_OFFSET } from './observation.js';
import { initWeights, type QNetworkSpec, type QWeights } from './q-network.js';

const DAY = 86_400_000;
/** Observation inputs the rule reads: the signal's expected value (percent), the holding's net return × 10, days held. */
const EXPECTED_VALUE = FEATURE_COUNT + 1;
const NET_RETURN_X10 = POSITION_OFFSET + 4;
const HELD_DAYS = POSITION_OFFSET + 5;
/** Slope of the threshold units: any positive value gives the same decisions; a moderate one keeps later training's gradients moderate. */
const SLOPE = 10;
/**
 * Held time is whole decision steps, so a position is often held exactly the horizon: the rule sells
 * then (at or after the horizon), tested as held > horizon − 30 s so that the network's float32
 * arithmetic and the rule agree there.
 */
const horizonDays = (rule: ExitRule): number => (rule.horizonMs - 30_000) / DAY;

/** The edge rule's exit: the signal's own barriers (net returns) and horizon. */
export interface ExitRule {
  readonly target: number;
  readonly stop: number;
  readonly horizonMs: number;
}

export function exitRuleOf(signal: Pick<SignalSpec, 'target' | 'stop' | 'horizonMs'>): ExitRule {
  return { target: signal.target, stop: signal.stop, horizonMs: signal.horizonMs };
}

/**
 * The edge rule as code, for one market's observation and mask: BUY whenever it is offered (with the
 * candidate action space: only where the expected net return after costs exceeds the minimum edge);
 * SELL a holding whose net return is above the target or below −stop, or that is held the horizon or
 * longer; never cancel (the position machine's buy timeout ends a resting buy); else HOLD.
 */
export function ruleAction(obs: Float32Array, offset: number, mask: Uint8Array, maskOffset: number, rule: ExitRule): number {
  if (mask[maskOffset + BUY] === 1) return BUY;
  if (mask[maskOffset + SELL] === 1) {
    const r = obs[offset + NET_RETURN_X10] as number;
    const days = obs[offset + HELD_DAYS] as number;
    if (r > 10 * rule.target || r < -10 * rule.stop || days > horizonDays(rule)) return SELL;
  }
  return HOLD;
}

/**
 * Generation 0 of the candidate action space: the edge rule written as the Q network's weights, so the
 * first incumbent trades exactly as `ruleAction` and every candidate starts from it and must beat it.
 * Four units of the first hidden layer compute relu(s·(r − 10·target)), relu(s·(−r − 10·stop)),
 * relu(s·(days − horizon)) and relu(expected value + 5); the later hidden layers pass them on unchanged;
 * the advantage (or Q) head gives SELL the sum of the first three, BUY 1 + the fourth (so a ranking's
 * BUYs are sized best edge first), HOLD 0 and the cancels −1. Every other unit keeps its seeded random weights but
 * reaches the head with weight 0: those units change no decision until training gives them one.
 * (Not behaviour cloning: the cloned network would only approximate the rule; this one is the rule.)
 */
export function ruleWeights(spec: QNetworkSpec, rule: ExitRule, seed: number): QWeights {
  if (spec.hidden.length === 0 || spec.hidden.some((h) => h < 4)) throw new Error(`the rule network needs hidden layers of at least 4 units, got [${spec.hidden.join(', ')}]`);
  if (rule.horizonMs >= 2 * DAY) throw new Error(`the rule's horizon must be under 2 days (the days-held input stops there), got ${rule.horizonMs / DAY} days`);
  const weights = initWeights(spec, seed);
  const byName = new Map(weights.tensors.map((t) => [t.name, t.data]));
  const get = (name: string): Float32Array => byName.get(name) as Float32Array;
  // First hidden layer: kernel [inputs, units].
  const k0 = get('dense_0/kernel');
  const b0 = get('dense_0/bias');
  const u0 = spec.hidden[0] as number;
  for (let j = 0; j < 4; j++) for (let i = 0; i < spec.inputs; i++) k0[i * u0 + j] = 0;
  k0[NET_RETURN_X10 * u0 + 0] = SLOPE;
  b0[0] = -SLOPE * 10 * rule.target;
  k0[NET_RETURN_X10 * u0 + 1] = -SLOPE;
  b0[1] = -SLOPE * 10 * rule.stop;
  k0[HELD_DAYS * u0 + 2] = SLOPE;
  b0[2] = -SLOPE * horizonDays(rule);
  // The expected value input is clipped at ±5 (percent): + 5 keeps the unit positive, so BUY's score orders every candidate by it.
  k0[EXPECTED_VALUE * u0 + 3] = 1;
  b0[3] = 5;
  // Later hidden layers: the four units through unchanged (relu of a non-negative value is itself).
  for (let l = 1; l < spec.hidden.length; l++) {
    const w = get(`dense_${l}/kernel`);
    const b = get(`dense_${l}/bias`);
    const inWidth = spec.hidden[l - 1] as number;
    const outWidth = spec.hidden[l] as number;
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < inWidth; i++) w[i * outWidth + j] = i === j ? 1 : 0;
      b[j] = 0;
    }
  }
  const head = spec.dueling ? 'advantage' : 'q';
  const w = get(`${head}/kernel`);
  const b = get(`${head}/bias`);
  const A = spec.actions;
  w.fill(0);
  w[0 * A + SELL] = 1;
  w[1 * A + SELL] = 1;
  w[2 * A + SELL] = 1;
  w[3 * A + BUY] = 1;
  b.fill(0);
  b[HOLD] = 0;
  b[BUY] = 1;
  b[CANCEL_BUY] = -1;
  b[CANCEL_SELL] = -1;
  return weights;
}

/**
 * Cash as a network: the rule's weights with BUY never worth it (advantage −1, no input), so it never
 * enters; what the loop keeps when the player it would keep shows no edge over cash (an agent that stays in
 * cash where nothing pays is a correct result).
 */
export function cashWeights(spec: QNetworkSpec, rule: ExitRule, seed: number): QWeights {
  const weights = ruleWeights(spec, rule, seed);
  const head = weights.tensors.find((t) => t.name === `${spec.dueling ? 'advantage' : 'q'}/kernel`)?.data as Float32Array;
  const bias = weights.tensors.find((t) => t.name === `${spec.dueling ? 'advantage' : 'q'}/bias`)?.data as Float32Array;
  head[3 * spec.actions + BUY] = 0;
  bias[BUY] = -1;
  return weights;
}

/**
 * Generation 0 of the `strategy` action source: take every entry the rule strategy offers (BUY's advantage
 * +1 against HOLD's 0), never sell or cancel on its own (−1: the strategy's exits are carried out by the
 * environment), so the incumbent trades exactly as the configured strategy; with `take` false it never
 * enters (cash). No input reaches the head: every unit keeps its seeded weights with weight 0 to the head,
 * and a trained candidate learns from there which entries to skip and when to sell first.
 */
export function strategyWeights(spec: QNetworkSpec, seed: number, take = true): QWeights {
  const weights = initWeights(spec, seed);
  const head = spec.dueling ? 'advantage' : 'q';
  for (const t of weights.tensors) if (t.name === `${head}/kernel`) t.data.fill(0);
  const b = weights.tensors.find((t) => t.name === `${head}/bias`)?.data as Float32Array;
  b.fill(-1);
  b[HOLD] = 0;
  b[BUY] = take ? 1 : -1;
  return weights;
}
