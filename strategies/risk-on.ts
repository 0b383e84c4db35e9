import { Observable, Subject } from 'rxjs';
import type { Decision } from '../src/core/index.js';
import { horizonBreadth } from '../streams/index.js';
import type { Strategy, StrategyInput } from './strategy.js';

export interface RiskOnOptions {
  /** Breadth horizon (share of bull coins − share of bear), as the gate's regime filter. */
  readonly horizon: string;
  /** Risk on while the breadth is at least this (> 0). */
  readonly breadth: number;
  /** The stake of a risk-on buy, a fraction of equity. */
  readonly fraction: number;
}

/**
 * Stays invested while the market is broadly rising: while the breadth at `horizon` is at least
 * `breadth`, the inner strategy's buys go straight to the allocator staked at `fraction`; otherwise they
 * go through `gate` (the expected-value gate), which otherwise sees everything as before. In a broad
 * rally the gate's paper trades lag the market (they wait for closed trades) and the bot sits in cash;
 * the exits (stop, trailing stop) are the inner strategy's either way. The rule is one threshold and one
 * stake: the walk-forward choice (`coinrx ranker walk-forward --choose`) decides whether it is used.
 */
export function riskOn(options: RiskOnOptions, gate: (inner: Strategy) => Strategy): (inner: Strategy) => Strategy {
  return (inner) => (source) =>
    new Observable<Decision>((subscriber) => {
      let on = false;
      const inputs = new Subject<StrategyInput>();
      const toGate = new Subject<Decision>();
      // Subscribed first, so the gate updates its paper trades with an input before the inner strategy decides on it.
      const gated = gate(() => toGate)(inputs).subscribe(subscriber);
      const decisions = inner(inputs).subscribe({
        next(d) {
          if (on && d.kind === 'BUY') subscriber.next(Object.assign({}, d, { fraction: options.fraction }));
          else toGate.next(d);
        },
        error: (error: unknown) => toGate.error(error),
        complete: () => toGate.complete(),
      });
      const upstream = source.subscribe({
        next(input) {
          if (input.kind === 'features' && input.snapshots.length > 0) on = horizonBreadth(input.snapshots, options.horizon).breadth >= options.breadth;
          inputs.next(input);
        },
        error: (error: unknown) => inputs.error(error),
        complete: () => inputs.complete(),
      });
      return () => {
        upstream.unsubscribe();
        decisions.unsubscribe();
        gated.unsubscribe();
      };
    });
}
