import type { FeatureSnapshot, MarketEvent } from '../../core/index.js';
import { calibrate, fitCalibration, type Calibration } from '../calibration.js';
import { firstPassage, type BarrierSpec, type PriceSeries } from '../labels.js';
import type { ModelKind } from '../model-kind.js';
import { RULE_SCORERS, type SimpleRule } from '../simple-rules.js';
import type { MarketTape } from './market-tape.js';

/** Observation inputs from the ranker: its calibrated probability and the expected value of a trade. */
export const SIGNAL_FEATURES = 2;
export const SIGNAL_FEATURE_NAMES = ['p_target_first_x2m1', 'expected_value_pct'] as const;

/** The rule the signal falls back to without a ranker model: the best simple rule in every evaluation so far (docs/ranker.md). */
export const FALLBACK_RULE: SimpleRule = 'volatility rule';

/**
 * Where the agent's P(target before stop) comes from and the barriers its expected value is priced on.
 * `model`: the ranker's own calibrated probability (a version folder of `coinrx ranker train` of any kind,
 * loaded by registry.loadVersion with the version's calibration);
 * `rule`: a simple rule's score, Platt-calibrated on the agent's training span against the same label.
 */
export interface SignalSpec {
  readonly source: 'model' | 'rule';
  readonly rule?: SimpleRule;
  readonly model?: string;
  /**
   * The ranker version's kind and what it ranks with (`meta.ranksWith`). When it ranks with a rule that
   * beat it on validation, the signal still reads the model's calibrated probability, as the version's own
   * scorer gives it (`lastProbabilities`): the rule has no calibration of its own in the version.
   */
  readonly ranker?: { readonly kind: ModelKind; readonly ranksWith: 'model' | SimpleRule };
  readonly calibration?: Calibration;
  /** Net returns of the label's barriers: both fees and the entry's slippage are inside them. */
  readonly target: number;
  readonly stop: number;
  readonly horizonMs: number;
  /** What the rule's calibration was fitted on (event time, rows, share reaching the target first). */
  readonly fit?: { readonly from: number; readonly to: number; readonly rows: number; readonly baseRate: number };
}

/** The raw score of every market of a batch: a rule's score, or the model's calibrated probability. */
export type SignalScore = (snapshots: readonly FeatureSnapshot[]) => ArrayLike<number>;

/**
 * Expected net return of one trade on the label's barriers, as the edge gate prices it: p × gain − (1 − p) × loss,
 * with gain and loss net of fees and slippage (the costs are inside the barriers); a trade that reaches
 * neither barrier in time counts as a loss, which keeps the estimate on the safe side.
 */
export function expectedValue(p: number, target: number, stop: number): number {
  return p * target - (1 - p) * stop;
}

/**
 * The two observation inputs for one raw score (2p − 1 and the expected value in percent, clipped at ±5):
 * the one arithmetic the tape and the engine's agent both run, so both see the same float32 inputs.
 */
export function writeSignal(spec: SignalSpec, score: number, out: Float32Array, offset: number): void {
  const raw = spec.source === 'rule' ? calibrate(spec.calibration as Calibration, score) : score;
  const p = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0;
  const ev = expectedValue(p, spec.target, spec.stop) * 100;
  out[offset] = 2 * p - 1;
  out[offset + 1] = ev > 5 ? 5 : ev < -5 ? -5 : ev;
}

/** Each market's price path in the tape (candle highs and lows at their close times, trades as points): what labels read. */
export function tapeSeries(tape: MarketTape): PriceSeries[] {
  const ts: number[][] = tape.markets.map(() => []);
  const high: number[][] = tape.markets.map(() => []);
  const low: number[][] = tape.markets.map(() => []);
  for (let i = 0; i < tape.events.length; i++) {
    const e = tape.events[i] as MarketEvent;
    const m = tape.eventMarket[i] as number;
    if (e.kind === 'candle') {
      (ts[m] as number[]).push(e.ts);
      (high[m] as number[]).push(e.high);
      (low[m] as number[]).push(e.low);
    } else if (e.kind === 'trade' || e.kind === 'ticker') {
      (ts[m] as number[]).push(e.ts);
      (high[m] as number[]).push(e.price);
      (low[m] as number[]).push(e.price);
    }
  }
  return tape.markets.map((_, m) => ({ ts: Float64Array.from(ts[m] as number[]), high: Float64Array.from(high[m] as number[]), low: Float64Array.from(low[m] as number[]) }));
}

/**
 * Calibrates the tape's rule score on batches [from, to): every `stride`-th batch, every present market,
 * labelled by the first passage of `label` — only rows whose horizon ends inside the span, so the fit
 * reads no price after `to` (the validation span that follows stays unseen).
 */
export function fitRuleSignal(tape: MarketTape, from: number, to: number, label: BarrierSpec, stride = 3): SignalSpec {
  if (tape.signalSource === 'model') throw new Error('the tape was scored by a ranker model: fit a rule signal on a tape built with the rule');
  const rule = tape.signalSource;
  const series = tapeSeries(tape);
  const M = tape.markets.length;
  const end = (tape.ts[Math.max(from, to - 1)] as number) - label.horizonMs;
  const scores: number[] = [];
  const outcomes: number[] = [];
  for (let b = from; b < to && (tape.ts[b] as number) <= end; b += stride) {
    const t = tape.ts[b] as number;
    for (let m = 0; m < M; m++) {
      const cell = b * M + m;
      if (tape.present[cell] !== 1) continue;
      const fp = firstPassage(series[m] as PriceSeries, t, tape.price[cell] as number, label);
      if (!fp) continue;
      scores.push(tape.signalScore[cell] as number);
      outcomes.push(fp.label === 1 ? 1 : 0);
    }
  }
  if (scores.length === 0) throw new Error(`no labelled rows to calibrate the ${rule} on: the training span is shorter than the label's horizon`);
  const hits = outcomes.reduce((a, b) => a + b, 0);
  return {
    source: 'rule',
    rule,
    calibration: fitCalibration(scores, outcomes),
    target: label.target,
    stop: label.stop,
    horizonMs: label.horizonMs,
    fit: { from: tape.ts[from] as number, to: tape.ts[to - 1] as number, rows: scores.length, baseRate: hits / scores.length },
  };
}

/** Fills `tape.signal` from its raw scores with `spec` (the spec must match what scored the tape). */
export function applySignal(tape: MarketTape, spec: SignalSpec): void {
  const expected = spec.source === 'model' ? 'model' : spec.rule;
  if (tape.signalSource !== expected) throw new Error(`the agent's signal comes from the ${expected}, the tape was scored by the ${tape.signalSource}`);
  for (let cell = 0; cell < tape.present.length; cell++) {
    if (tape.present[cell] === 1) writeSignal(spec, tape.signalScore[cell] as number, tape.signal, cell * SIGNAL_FEATURES);
  }
}

/** The raw score the spec reads, ready for a batch (the ranker version is loaded here, by registry.loadVersion, when the spec names one). */
export async function signalScore(spec: SignalSpec): Promise<SignalScore> {
  if (spec.source === 'rule') return RULE_SCORERS[spec.rule as SimpleRule];
  const { loadModelScorer } = await import('../model-scorer.js');
  // A GRU keeps each market's last `sequenceLength` inputs: the tape and the engine's agent score every
  // batch, so both read the same history once a market has had that many batches (a run's first ones
  // repeat the oldest row, as the engine's own ranking with that GRU does).
  const scorer = await loadModelScorer(spec.model as string);
  return (snapshots) => {
    scorer(snapshots);
    return scorer.lastProbabilities();
  };
}

/** The spec of a ranker version's own signal (its label's barriers). */
export async function modelSignal(dir: string): Promise<SignalSpec> {
  const { readMeta, resolveModelDir } = await import('../registry.js');
  const versionDir = await resolveModelDir(dir);
  const meta = await readMeta(versionDir);
  return {
    source: 'model',
    model: versionDir,
    ranker: { kind: meta.kind, ranksWith: meta.ranksWith ?? 'model' },
    target: meta.config.label.target,
    stop: meta.config.label.stop,
    horizonMs: meta.config.label.horizon,
  };
}

/** Whether the signal's score keeps state across batches (a GRU ranker's per-market history): it must then see every batch, also those before an agent acts. */
export function signalHasState(spec: SignalSpec): boolean {
  return spec.source === 'model' && spec.ranker?.kind === 'gru';
}

/** What the observation's signal reads, in one line (agent train and agent evaluate print it). */
export function describeSignal(spec: SignalSpec): string {
  const barriers = `+${spec.target * 100} % before −${spec.stop * 100} % net`;
  if (spec.source === 'rule') return `signal: the ${spec.rule}, calibrated on ${spec.fit?.rows} training rows (base rate ${((spec.fit?.baseRate ?? 0) * 100).toFixed(1)} %, ${barriers})`;
  const kind = spec.ranker ? `, a ${spec.ranker.kind}` : '';
  const rule = spec.ranker && spec.ranker.ranksWith !== 'model' ? `; the version ranks with the ${spec.ranker.ranksWith} (it beat the model on validation), the signal still reads the model's probability` : '';
  return `signal: the ranker model ${spec.model}${kind}: its calibrated P(${barriers} within ${spec.horizonMs / 3_600_000} h)${rule}`;
}
