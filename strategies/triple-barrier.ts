import { Observable } from 'rxjs';
import type { Decision, FeatureSnapshot, Ranking } from '../src/core/index.js';
import { horizonBreadth } from '../streams/index.js';
import { MarketPeaks } from './bid-peaks.js';
import { exitReason, netReturn, type ExitRule } from './exit-rule.js';
import { MarketSlots } from './market-slots.js';
import type { PositionView, Strategy } from './strategy.js';

export interface TripleBarrierOptions {
  /** Take profit at this return, net of fees on both sides. */
  readonly takeProfit: number;
  /** Stop out at this loss (positive number), net of fees. */
  readonly stopLoss: number;
  /** Sell after holding this long (event time). */
  readonly maxHoldMs: number;
  /**
   * How long a buy may rest: buys are offered again at least this often, and peaks are kept this much
   * longer than maxHold. Cancelling a buy that rested this long is the position machine's own timer
   * (machines/position-machine.ts), not the strategy's.
   */
  readonly buyTimeoutMs: number;
  /** Cancel a buy when the price ran this many ticks above it. */
  readonly chaseTicks: number;
  /** Fee rate per side, for net returns. */
  readonly feeRate: number;
  /** No new buys while the 6h market breadth is bearish. */
  readonly skipBearMarket: boolean;
  /** Re-price a resting sell after this long (cancel; the next batch sells at the new touch). */
  readonly sellTimeoutMs?: number;
  /** Trailing stop (exit-rule.ts): armed once the net return reached `trailActivate`, sells `trailDistance` below the best since. */
  readonly trailActivate?: number;
  readonly trailDistance?: number;
}

/**
 * The rule-based strategy: buy the coins at the top of the ranking that the bot does not hold, exit on
 * the first of the barriers — take-profit, stop-loss, an optional trailing stop, time limit — measured net of fees, and cancel
 * buys that went stale (too long, price ran away, or the coin left the ranking). Exits are priced at the
 * best bid (or the last price) so they execute; buys at the best bid (or the last price).
 * Decisions are emitted on the batch (or ranking) that triggers them, at most one per position per
 * state: a position is not asked twice until its state changes. A sell resting `sellTimeoutMs` above
 * the bid is cancelled; back in holding, the barriers sell it again at the new bid.
 */
export function tripleBarrier(options: TripleBarrierOptions): Strategy {
  return (source) =>
    new Observable<Decision>((subscriber) => {
      // Peaks old enough for any position: held up to maxHold after a buy that rested up to buyTimeout.
      const peaksMs = options.maxHoldMs + options.buyTimeoutMs;
      const positions = new Map<string, PositionView>();
      /** positionId → state in which a decision was already sent. */
      const asked = new Map<string, string>();
      // Per market: its last snapshot and (for the trailing stop) its bid peaks.
      const markets = new MarketSlots<{ readonly market: string; last: FeatureSnapshot | undefined; readonly peaks: MarketPeaks }>((market) => ({ market, last: undefined, peaks: new MarketPeaks(peaksMs) }));
      const rule: ExitRule = { takeProfit: options.takeProfit, stopLoss: options.stopLoss, maxHoldMs: options.maxHoldMs, trailActivate: options.trailActivate ?? 0, trailDistance: options.trailDistance ?? 0 };
      const trailing = rule.trailActivate > 0;
      let ranking: Ranking = { ts: 0, ranking: [] };
      // The ranking's few entries are looked through, not put in a Set a ranking (a fair share of the strategy's time).
      const isRanked = (market: string): boolean => {
        for (const e of ranking.ranking) if (e.market === market) return true;
        return false;
      };
      let bearMarket = false;
      let lastOffer = -Infinity;
      /** A position ended since the last batch: offer at the next one (one offer per batch, so one sizing). */
      let reoffer = false;

      // Entries follow the ranking's state, not its changes: every ranked coin the bot does not hold is
      // offered when the ranking changes, when a position ends (a slot, cash or the coin itself is free
      // again; at the next batch), when a bear market ends, and at least every buyTimeout (a halt lifted, a
      // buy sized to nothing).
      const offer = (ts: number): void => {
        lastOffer = ts;
        reoffer = false;
        if (bearMarket || ranking.ranking.length === 0) return;
        const held: string[] = [];
        for (const p of positions.values()) held.push(p.market);
        for (const entry of ranking.ranking) {
          if (held.includes(entry.market)) continue;
          const s = markets.find(entry.market)?.last;
          if (!s) continue;
          subscriber.next({ kind: 'BUY', market: entry.market, ts, reason: 'ranked', score: entry.score, price: s.touch?.bidPrice ?? s.price });
        }
      };

      const ask = (p: PositionView, decision: Decision): void => {
        if (asked.get(p.positionId) === p.state) return;
        asked.set(p.positionId, p.state);
        subscriber.next(decision);
      };

      const review = (ts: number): void => {
        for (const p of positions.values()) {
          const market = markets.find(p.market);
          const s = market?.last;
          if (!market || !s) continue;
          const bid = s.touch?.bidPrice ?? s.price;
          if (p.state === 'buying') {
            const ranAway = p.tickSize > 0 && s.price > p.orderPrice + options.chaseTicks * p.tickSize;
            const dropped = !isRanked(p.market);
            if (ranAway || dropped) ask(p, { kind: 'CANCEL_BUY', market: p.market, ts, reason: ranAway ? 'price-ran-away' : 'left-ranking' });
          } else if (p.state === 'holding' && p.entryPrice > 0) {
            const net = netReturn(bid, p.entryPrice, options.feeRate);
            const peak = trailing ? market.peaks.since(p.entryTs) : Number.NaN;
            const top = peak > bid ? netReturn(peak, p.entryPrice, options.feeRate) : net;
            const reason = exitReason(rule, net, top, ts - p.entryTs);
            if (reason) ask(p, { kind: 'SELL', market: p.market, ts, reason, price: bid });
          } else if (p.state === 'selling' && options.sellTimeoutMs !== undefined && ts - p.orderTs >= options.sellTimeoutMs && bid < p.orderPrice) {
            ask(p, { kind: 'CANCEL_SELL', market: p.market, ts, reason: 'reprice-sell' });
          }
        }
      };

      return source.subscribe({
        next(input) {
          switch (input.kind) {
            case 'features': {
              const snapshots = input.snapshots;
              for (let i = 0; i < snapshots.length; i++) {
                const s = snapshots[i] as FeatureSnapshot;
                const market = markets.at(i, s.market);
                market.last = s;
                if (trailing) market.peaks.add(input.ts, s.touch?.bidPrice ?? s.price);
              }
              const wasBear = bearMarket;
              bearMarket = options.skipBearMarket && input.snapshots.length > 0 && horizonBreadth(input.snapshots, '6h').regime === 'bear';
              review(input.ts);
              if (reoffer || (wasBear && !bearMarket) || input.ts - lastOffer >= options.buyTimeoutMs) offer(input.ts);
              return;
            }
            case 'position': {
              const p = input.position;
              if (p.state === 'settled') {
                positions.delete(p.positionId);
                asked.delete(p.positionId);
                reoffer = true;
                return;
              }
              // A new state may need a new decision (a re-priced sell is back in holding).
              if (asked.has(p.positionId) && asked.get(p.positionId) !== p.state) asked.delete(p.positionId);
              positions.set(p.positionId, p);
              return;
            }
            case 'ranking': {
              ranking = input.ranking;
              offer(input.ranking.ts);
              return;
            }
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
