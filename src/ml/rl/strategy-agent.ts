import { Observable, Subject } from 'rxjs';
import type { Config } from '../../config.js';
import type { Decision, FeatureSnapshot } from '../../core/index.js';
import { configuredStrategy } from '../../engine/index.js';
import { notePosition, type EdgeEstimate, type PositionView, type Strategy, type StrategyInput } from '../../../strategies/index.js';
import { FEATURE_COUNT, featureRows } from '../feature-vector.js';
import type { Normalizer } from '../normalizer.js';
import { decisionFor } from './action-replay.js';
import { ACTION_COUNT, BUY, groupOf, HOLD, maskedArgmax, writeMask } from './actions.js';
import { SIGNAL_FEATURES } from './market-signal.js';
import { NO_POSITION, OBSERVATION_SIZE, writeObservation, type PositionInputs } from './observation.js';
import { QForward, type QWeights } from './q-network.js';

export interface StrategyAgentOptions {
  readonly weights: QWeights;
  readonly normalizer: Normalizer;
  readonly config: Config;
  readonly feeRate: number;
  /** Decisions start here (event time): before it the rule strategy is only fed, as a backtest's warm-up. */
  readonly tradeFrom?: number;
  readonly onTiming?: (ms: number, markets: number) => void;
}

/**
 * The agent of the `strategy` action source as the engine's strategy: the configured rule strategy runs
 * inside it (the engine's `configuredStrategy`, the environment's too) and the network chooses among its
 * decisions, as in the training environment (trading-env.ts). At each feature batch the rule strategy
 * decides first: its exits go out at once; then the network sees the batch (the market features, the
 * gate's estimate once the batch's features were fed, the positions after those exits) and decides per
 * market: a SELL or cancel of its own, and for each flat market whether to take an entry
 * (Q(BUY) > Q(HOLD)). The strategy's BUYs of that batch — at its features, then at its ranking — go out
 * only for the markets taken, each as the strategy emitted it (score, price, Kelly stake), so the engine
 * sizes the same two groups as the environment. Every entry taken is one the strategy offered.
 */
export function strategyAgent(options: StrategyAgentOptions): Strategy {
  const forward = new QForward(options.weights);
  const tradeFrom = options.tradeFrom ?? -Infinity;
  return (source) =>
    new Observable<Decision>((subscriber) => {
      const gate = new Float32Array(SIGNAL_FEATURES);
      const gateSeen = new Float32Array(SIGNAL_FEATURES);
      const onEstimate = (e: EdgeEstimate): void => {
        gate[0] = 2 * e.p - 1;
        const pct = e.expected * 100;
        gate[1] = pct > 5 ? 5 : pct < -5 ? -5 : pct;
      };
      const positions = new Map<string, PositionView>();
      /** Markets the network takes an entry in at the batch `takenTs`. */
      const taken = new Set<string>();
      let takenTs = Number.NaN;
      /** The strategy's BUYs of the features being fed (held until the network has decided). */
      const held: Decision[] = [];
      let feeding: 'features' | 'ranking' | undefined;
      let raw = new Float32Array(0);
      let obs = new Float32Array(0);
      let mask = new Uint8Array(0);
      let q = new Float32Array(0);
      const inputs = new Subject<StrategyInput>();
      const inner = inputs.pipe(configuredStrategy(options.config, options.feeRate, { onEstimate })).subscribe({
        next(d) {
          if (d.ts < tradeFrom) return;
          if (d.kind !== 'BUY') return subscriber.next(d);
          if (positions.has(d.market)) return;
          if (feeding === 'features') held.push(d);
          else if (d.ts === takenTs && taken.has(d.market)) subscriber.next(d);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });

      const decide = (ts: number, snapshots: readonly FeatureSnapshot[]): void => {
        const started = options.onTiming ? performance.now() : 0;
        const n = snapshots.length;
        if (raw.length < n * FEATURE_COUNT) {
          raw = new Float32Array(n * FEATURE_COUNT);
          obs = new Float32Array(n * OBSERVATION_SIZE);
          mask = new Uint8Array(n * ACTION_COUNT);
          q = new Float32Array(n * ACTION_COUNT);
        }
        featureRows(snapshots, raw);
        const openShare = positions.size / options.config.allocation.maxPositions;
        for (let i = 0; i < n; i++) {
          const s = snapshots[i] as FeatureSnapshot;
          const v = positions.get(s.market);
          const p: PositionInputs = v ? { group: groupOf(v.state), amount: v.amount, entryPrice: v.entryPrice, entryTs: v.entryTs, orderPrice: v.orderPrice, orderTs: v.orderTs } : NO_POSITION;
          writeObservation(options.normalizer, raw, i * FEATURE_COUNT, gateSeen, 0, p, s.price, s.touch?.bidPrice ?? s.price, ts, options.feeRate, openShare, obs, i * OBSERVATION_SIZE);
          // BUY is decided below for flat markets (Q(BUY) against Q(HOLD), the environment's choice between its two valid actions).
          writeMask(p.group, false, mask, i * ACTION_COUNT);
        }
        forward.run(obs, n, q);
        taken.clear();
        takenTs = ts;
        for (let i = 0; i < n; i++) {
          const s = snapshots[i] as FeatureSnapshot;
          const m = i * ACTION_COUNT;
          if (!positions.has(s.market)) {
            if ((q[m + BUY] as number) > (q[m + HOLD] as number)) taken.add(s.market);
            continue;
          }
          const d = decisionFor(maskedArgmax(q, m, mask, m), s, ts, 0);
          if (d) subscriber.next(d);
        }
        for (const d of held) if (taken.has(d.market) && !positions.has(d.market)) subscriber.next(d);
        options.onTiming?.(performance.now() - started, n);
      };

      const upstream = source.subscribe({
        next(input) {
          switch (input.kind) {
            case 'position':
              notePosition(positions, input.position);
              inputs.next(input);
              return;
            case 'features': {
              held.length = 0;
              feeding = 'features';
              inputs.next(input);
              feeding = undefined;
              gateSeen.set(gate);
              if (input.ts >= tradeFrom) decide(input.ts, input.snapshots);
              held.length = 0;
              return;
            }
            case 'ranking': {
              feeding = 'ranking';
              inputs.next(input);
              feeding = undefined;
              return;
            }
          }
        },
        error: (e: unknown) => inputs.error(e),
        complete: () => inputs.complete(),
      });
      return () => {
        upstream.unsubscribe();
        inner.unsubscribe();
      };
    });
}
