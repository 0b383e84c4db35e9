/** The files `coinrx new-strategy <name>` writes: a working strategy module and its marble spec. */

export interface TemplateImports {
  /** Import path of src/core/index.js from the strategy file, and of strategies/index.js. */
  readonly core: string;
  readonly strategies: string;
  /** From the spec file: the strategy module, src/core/index.js and strategies/index.js. */
  readonly specStrategy: string;
  readonly specCore: string;
  readonly specStrategies: string;
}

export function strategyTemplate(name: string, imports: TemplateImports): string {
  return `import { Observable } from 'rxjs';
import type { Decision, FeatureSnapshot } from '${imports.core}';
import type { PositionView, Strategy, StrategyContext } from '${imports.strategies}';

/** Once the position was up this much (net of fees)… */
const TRAIL_FROM = 0.01;
/** …sell when the bid falls this far below its best since entry (a trailing stop). */
const TRAIL = 0.015;

/**
 * ${name}: buys the coins at the top of the ranking that the bot does not hold, at the best bid, and
 * exits on the first of: take-profit, the stop-loss, a trailing stop (TRAIL below the best bid since entry, once up TRAIL_FROM),
 * the time limit (context: the configured strategy.* numbers). Returns are net of fees.
 *
 * A strategy is a pure RxJS operator: state lives inside the subscription, time is the event time of its
 * inputs, no I/O. Run it: coinrx backtest --data ... --strategy ./strategies/${name}.ts
 */
export function createStrategy(context: StrategyContext): Strategy {
  return (source) =>
    new Observable<Decision>((subscriber) => {
      const positions = new Map<string, PositionView>();
      /** Best bid since entry, per position. */
      const peaks = new Map<string, number>();
      /** Position id → the state in which a sell was already asked (ask once per state). */
      const asked = new Map<string, string>();
      const last = new Map<string, FeatureSnapshot>();

      const exitReason = (p: PositionView, bid: number, ts: number): string | undefined => {
        const peak = Math.max(peaks.get(p.positionId) ?? bid, bid);
        peaks.set(p.positionId, peak);
        const net = (price: number): number => (price * (1 - context.feeRate)) / (p.entryPrice * (1 + context.feeRate)) - 1;
        if (net(bid) >= context.takeProfit) return 'take-profit';
        if (net(bid) <= -context.stopLoss) return 'stop-loss';
        if (net(peak) >= TRAIL_FROM && bid <= peak * (1 - TRAIL)) return 'trailing-stop';
        if (ts - p.entryTs >= context.maxHoldMs) return 'time-limit';
        return undefined;
      };

      return source.subscribe({
        next(input) {
          switch (input.kind) {
            case 'features': {
              for (const s of input.snapshots) last.set(s.market, s);
              for (const p of positions.values()) {
                const s = last.get(p.market);
                if (p.state !== 'holding' || p.entryPrice <= 0 || !s || asked.get(p.positionId) === p.state) continue;
                const bid = s.touch?.bidPrice ?? s.price;
                const reason = exitReason(p, bid, input.ts);
                if (reason === undefined) continue;
                asked.set(p.positionId, p.state);
                subscriber.next({ kind: 'SELL', market: p.market, ts: input.ts, reason, price: bid });
              }
              return;
            }
            case 'position': {
              const p = input.position;
              if (p.state === 'settled') {
                positions.delete(p.positionId);
                peaks.delete(p.positionId);
                asked.delete(p.positionId);
              } else positions.set(p.positionId, p);
              return;
            }
            case 'ranking': {
              const held = new Set([...positions.values()].map((p) => p.market));
              for (const entry of input.ranking.ranking) {
                const s = last.get(entry.market);
                if (held.has(entry.market) || !s) continue;
                subscriber.next({ kind: 'BUY', market: entry.market, ts: input.ranking.ts, reason: 'ranked', score: entry.score, price: s.touch?.bidPrice ?? s.price });
              }
              return;
            }
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
`;
}

export function strategySpecTemplate(name: string, imports: TemplateImports): string {
  return `import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { WINDOWS, type FeatureSnapshot, type WindowName, type WindowStats } from '${imports.specCore}';
import type { PositionView, StrategyContext, StrategyInput } from '${imports.specStrategies}';
import { createStrategy } from '${imports.specStrategy}';

const MIN = 60_000;
const T0 = Date.UTC(2021, 0, 1);
const CONTEXT: StrategyContext = { feeRate: 0, takeProfit: 0.05, stopLoss: 0.03, maxHoldMs: 60 * MIN, buyTimeoutMs: 10 * MIN, chaseTicks: 5, skipBearMarket: false, sellTimeoutMs: 0, trailActivate: 0, trailDistance: 0, maxPositions: 3 };

function snapshot(market: string, minute: number, price: number): FeatureSnapshot {
  const stats: WindowStats = { vwap: price, volume: 1, value: price, trades: 1 };
  const windows = Object.fromEntries(WINDOWS.map((w) => [w, stats])) as Record<WindowName, WindowStats>;
  return { market, ts: T0 + minute * MIN, price, windows, volatility: 0.01, position: 0.5, high: price, low: price, regime: { '1h': 'flat', '6h': 'flat', '12h': 'flat', '24h': 'flat' } };
}

const features = (minute: number, price: number): StrategyInput => ({ kind: 'features', ts: T0 + minute * MIN, snapshots: [snapshot('BTC/USDT', minute, price)] });
const ranking = (minute: number, ...markets: string[]): StrategyInput => ({ kind: 'ranking', ranking: { ts: T0 + minute * MIN, ranking: markets.map((market, i) => ({ market, score: 1 - i / 10 })) } });
const holding = (patch: Partial<PositionView> = {}): StrategyInput => ({
  kind: 'position',
  position: { positionId: 'p1', market: 'BTC/USDT', state: 'holding', amount: 1, entryPrice: 100, entryTs: T0, orderPrice: 0, orderTs: 0, tickSize: 0.01, ...patch },
});

/** Feeds the marbles through the strategy and compares its decisions (event time in the values). */
function run(marbles: string, values: Record<string, StrategyInput>, expected: string, decisions: Record<string, unknown>): void {
  new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, expectObservable }) => {
    expectObservable(cold(marbles, values).pipe(createStrategy(CONTEXT))).toBe(expected, decisions);
  });
}

describe('${name} (marbles)', () => {
  it('buys a ranked coin it does not hold, at the last price', () => {
    run('a-b-|', { a: features(1, 100), b: ranking(1, 'BTC/USDT') }, '--x-|', { x: { kind: 'BUY', market: 'BTC/USDT', ts: T0 + MIN, reason: 'ranked', score: 1, price: 100 } });
  });

  it('sells on the trailing stop once the price falls 1.5 % from its best, once, and not before it was up 1 %', () => {
    // Best 104 (under the 5 % take-profit); 102.4 is 1.54 % below it.
    run('a-b-c-d-|', { a: holding(), b: features(2, 104), c: features(3, 102.4), d: features(4, 102) }, '----x---|', {
      x: { kind: 'SELL', market: 'BTC/USDT', ts: T0 + 3 * MIN, reason: 'trailing-stop', price: 102.4 },
    });
    // Best 100.9 (under 1 %): 99 is 1.9 % below it, but the trail is not armed yet.
    run('a-b-c-|', { a: holding(), b: features(2, 100.9), c: features(3, 99) }, '------|', {});
  });

  it('takes profit, and stops out', () => {
    run('a-b-|', { a: holding(), b: features(2, 105) }, '--x-|', { x: { kind: 'SELL', market: 'BTC/USDT', ts: T0 + 2 * MIN, reason: 'take-profit', price: 105 } });
    run('a-b-|', { a: holding(), b: features(2, 97) }, '--x-|', { x: { kind: 'SELL', market: 'BTC/USDT', ts: T0 + 2 * MIN, reason: 'stop-loss', price: 97 } });
  });
});
`;
}
