import { Observable, Subject } from 'rxjs';
import type { Decision, FeatureSnapshot, Ranking } from '../src/core/index.js';
import { horizonBreadth } from '../streams/index.js';
import { exitReason, netReturn, type ExitRule } from './exit-rule.js';
import { MarketSlots } from './market-slots.js';
import type { Strategy, StrategyInput } from './strategy.js';

export interface EdgeGateOptions extends ExitRule {
  /** Gate on the paper trades' expected value and stake by Kelly (false: only the regime filter and risk stake below). */
  readonly edge: boolean;
  /** Regime filter: buy only while the market breadth at this horizon (share of bull coins − share of bear) is at least `regimeMin`. */
  readonly regimeHorizon: string;
  /** −1 lets every regime through. */
  readonly regimeMin: number;
  /** Stake so that a stop-loss costs at most this fraction of equity (stake = riskPerTrade / stopLoss); 0: no such cap. */
  readonly riskPerTrade: number;
  readonly feeRate: number;
  /** A paper buy not filled within this long is dropped, as the strategy cancels its buy. */
  readonly buyTimeoutMs: number;
  /** Expected net return a trade must clear beyond fees (slippage, missed fills, estimation error). */
  readonly margin: number;
  /** Paper trades that must have closed before the first real entry. */
  readonly minTrades: number;
  /** The most recent closed paper trades the estimate uses. */
  readonly window: number;
  /** Share of the Kelly stake to take (½ is the usual hedge against an estimated edge). */
  readonly kelly: number;
  /** Largest stake of one entry, as a fraction of equity. */
  readonly maxFraction: number;
  /** Told the estimate each BUY is judged on (the RL agent observes what the gate knows); no effect on the decisions. */
  readonly onEstimate?: (estimate: EdgeEstimate) => void;
  /** Told each BUY the gate holds back, and why (a run's report says what kept it in cash); no effect on the decisions. */
  readonly onHeld?: (reason: GateHold) => void;
}

/**
 * Why the gate held a BUY back: the market breadth under the regime filter's minimum, fewer closed paper
 * trades than `minTrades`, or no expected value above `margin` after fees (or no Kelly stake).
 */
export type GateHold = 'regime' | 'paper-trades' | 'no-edge';

/** What the gate knows when a BUY arrives. */
export interface EdgeEstimate {
  readonly trades: number;
  /** Share of closed paper trades with a positive net return. */
  readonly p: number;
  /** Mean net gain of the winners and mean net loss of the losers (positive). */
  readonly gain: number;
  readonly loss: number;
  /** p·gain − (1 − p)·loss: the expected net return of one more trade like them. */
  readonly expected: number;
  /** The stake, a fraction of equity: kelly × (p/loss − (1 − p)/gain), capped; 0 when there is no edge. */
  readonly fraction: number;
}

interface PaperTrade {
  /** The limit price: the bid when the ranking listed the coin. */
  readonly limit: number;
  readonly ts: number;
  /** Set once filled: when and at what price (the limit). */
  filledTs: number;
  best: number;
  /** An exit fired: the next snapshot's price closes the trade (a limit sell at the bid fills a moment later). */
  exiting: boolean;
}

/** A market's last snapshot and its open paper trade (one at a time). */
interface PaperMarket {
  readonly market: string;
  last: FeatureSnapshot | undefined;
  open: PaperTrade | undefined;
}

/**
 * Opens a paper limit buy at its bid for each coin of `ranking` that has none open. A function of the
 * module rather than of each run: a closure made each run was another call target every run, and the
 * batch code compiled in the run before was thrown away at the next run's first batch.
 */
function openPaperTrades(markets: MarketSlots<PaperMarket>, ranking: Ranking['ranking'], ts: number): void {
  for (const entry of ranking) {
    const market = markets.find(entry.market);
    const s = market?.last;
    if (!market || !s || market.open) continue;
    market.open = { limit: s.touch?.bidPrice ?? s.price, ts, filledTs: -1, best: 0, exiting: false };
  }
}

/**
 * Turns probability into money: the inner strategy proposes buys, the gate lets one through only when
 * the expected net return of trading the ranking's picks, after fees, clears `margin`, and sizes it by a
 * capped fraction of the Kelly stake; otherwise the bot holds cash. The probability is estimated, never
 * assumed: every coin the ranking lists opens a paper limit buy at its bid (one at a time per coin), filled
 * only when a later price trades below it (the adverse selection a real limit buy meets) within the buy
 * timeout, closed by the very exit rule real positions use (take-profit, stop-loss, trailing stop, time
 * limit) at the price one snapshot after the exit fires (a limit sell at the bid fills a moment later),
 * and the last `window` closed paper trades give p, the mean gain and the mean loss. Only
 * outcomes known at decision time enter the estimate, so a backtest sees no future. A ranking with no
 * edge closes losing paper trades and the gate shuts; it opens again when the picks start paying. The
 * estimate trails the market by its window (60 trades spanned about 40 hours on the 30-coin candles): in a
 * months-long fall each rally reopens it just before the next leg down, and it does not keep the strategy
 * from losing there (docs/strategies.md, "Falling markets").
 */
export function edgeGate(options: EdgeGateOptions): (inner: Strategy) => Strategy {
  return (inner) => (source) =>
    new Observable<Decision>((subscriber) => {
      // Per market: its last snapshot and its open paper trade (one at a time).
      const markets = new MarketSlots<PaperMarket>((market) => ({ market, last: undefined, open: undefined }));
      const closed: number[] = [];
      // The estimate changes only when a paper trade closes: computed once per close, not per BUY (tens of thousands a run).
      let estimated: EdgeEstimate | undefined;
      const estimate = (): EdgeEstimate => (estimated ??= edgeEstimate(closed.slice(-options.window), options));
      const inputs = new Subject<StrategyInput>();
      const riskStake = options.riskPerTrade > 0 ? Math.min(options.maxFraction, options.riskPerTrade / options.stopLoss) : options.maxFraction;
      let breadth = 0;
      /** The ranking in force: each coin it lists has a paper trade open (one at a time per coin). */
      let listed: Ranking['ranking'] = [];
      /** The time of the last batch when no ranking followed it yet (−1 once one did). */
      let unlisted = -1;
      const decisions = inner(inputs).subscribe({
        next(d) {
          if (d.kind !== 'BUY') return subscriber.next(d);
          if (breadth < options.regimeMin) return options.onHeld?.('regime');
          let stake = riskStake;
          if (options.edge) {
            const e = estimate();
            options.onEstimate?.(e);
            if (e.trades < options.minTrades) return options.onHeld?.('paper-trades');
            if (e.expected <= options.margin || !(e.fraction > 0)) return options.onHeld?.('no-edge');
            stake = Math.min(stake, e.fraction);
          }
          subscriber.next(Object.assign({}, d, { fraction: stake }));
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      const upstream = source.subscribe({
        next(input) {
          if (input.kind === 'features') {
            // The last batch brought no new ranking: the one in force lists the same coins, and each of them
            // whose paper trade ended then opens the next at that batch's prices (before this batch's are
            // read), as the bot re-enters a coin the ranking keeps. Opened only at rankings, one coin (whose
            // ranking never changes) sampled one paper trade and the gate stayed shut.
            if (unlisted >= 0) openPaperTrades(markets, listed, unlisted);
            if (options.regimeMin > -1 && input.snapshots.length > 0) breadth = horizonBreadth(input.snapshots, options.regimeHorizon).breadth;
            const snapshots = input.snapshots;
            for (let i = 0; i < snapshots.length; i++) {
              const s = snapshots[i] as FeatureSnapshot;
              const market = markets.at(i, s.market);
              market.last = s;
              const t = market.open;
              if (!t) continue;
              const bid = s.touch?.bidPrice ?? s.price;
              if (t.filledTs < 0) {
                // A resting limit buy fills only when the market trades below it: the adverse selection real buys meet.
                if (s.price < t.limit) t.filledTs = input.ts;
                else if (input.ts - t.ts >= options.buyTimeoutMs) market.open = undefined;
                continue;
              }
              const net = netReturn(bid, t.limit, options.feeRate);
              if (t.exiting || exitReason(options, net, Math.max(t.best, net), input.ts - t.filledTs) !== undefined) {
                if (!t.exiting) {
                  t.exiting = true;
                  continue;
                }
                market.open = undefined;
                closed.push(net);
                estimated = undefined;
                if (closed.length > 4 * options.window) closed.splice(0, closed.length - options.window);
                continue;
              }
              if (net > t.best) t.best = net;
            }
            unlisted = input.ts;
          } else if (input.kind === 'ranking') {
            listed = input.ranking.ranking;
            unlisted = -1;
            openPaperTrades(markets, listed, input.ranking.ts);
          }
          inputs.next(input);
        },
        error: (error: unknown) => inputs.error(error),
        complete: () => inputs.complete(),
      });
      return () => {
        upstream.unsubscribe();
        decisions.unsubscribe();
      };
    });
}

/** p, mean gain, mean loss, expected value and the capped Kelly stake of closed trades' net returns. */
export function edgeEstimate(returns: readonly number[], options: Pick<EdgeGateOptions, 'kelly' | 'maxFraction'>): EdgeEstimate {
  let wins = 0;
  let gain = 0;
  let loss = 0;
  for (const r of returns) {
    if (r > 0) {
      wins++;
      gain += r;
    } else loss -= r;
  }
  const n = returns.length;
  const losses = n - wins;
  const p = n > 0 ? wins / n : 0;
  const g = wins > 0 ? gain / wins : 0;
  const l = losses > 0 ? loss / losses : 0;
  const expected = p * g - (1 - p) * l;
  // Kelly for a bet that wins g or loses l of the stake: f* = p/l − (1 − p)/g.
  const kellyStake = g > 0 ? (l > 0 ? p / l - (1 - p) / g : Infinity) : 0;
  const fraction = Math.max(0, Math.min(options.maxFraction, options.kelly * kellyStake));
  return { trades: n, p, gain: g, loss: l, expected, fraction };
}
