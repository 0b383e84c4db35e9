import { Observable } from 'rxjs';
import type { Decision, FeatureSnapshot } from '../src/core/index.js';
import { notePosition, type PositionView, type Strategy } from './strategy.js';

/**
 * Decides, for one feature batch, what to do in each market: the batch's snapshots (in batch order) and
 * the bot's open positions by market. Returns the decisions in the order they should reach the engine.
 */
export type RlDecider = (ts: number, snapshots: readonly FeatureSnapshot[], positions: ReadonlyMap<string, PositionView>) => readonly Decision[];

/**
 * The RL agent as a strategy: at every feature batch the policy (`decide`, e.g. the promoted model's
 * greedy policy from src/ml/rl) chooses per market; SELL and CANCEL decisions go out at once, BUY
 * decisions wait for the ranking of the same batch — the engine sizes and places buys when its ranking
 * emits — and are dropped when that batch brings no ranking (the training environment masks BUY then,
 * so the agent behaves the same in training and in the engine). Decisions feed the position machines
 * like any strategy's.
 */
export function rlAgent(decide: RlDecider): Strategy {
  return (source) =>
    new Observable<Decision>((subscriber) => {
      const positions = new Map<string, PositionView>();
      let pending: { ts: number; buys: Decision[] } | undefined;
      return source.subscribe({
        next(input) {
          switch (input.kind) {
            case 'position':
              notePosition(positions, input.position);
              return;
            case 'features': {
              pending = undefined;
              const buys: Decision[] = [];
              for (const d of decide(input.ts, input.snapshots, positions)) {
                if (d.kind === 'BUY') buys.push(d);
                else subscriber.next(d);
              }
              if (buys.length > 0) pending = { ts: input.ts, buys };
              return;
            }
            case 'ranking': {
              if (pending && pending.ts === input.ranking.ts) for (const d of pending.buys) if (!positions.has(d.market)) subscriber.next(d);
              pending = undefined;
              return;
            }
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
