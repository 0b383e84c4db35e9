import type { Decision, FeatureSnapshot } from '../../core/index.js';
import type { RlDecider } from '../../../strategies/rl-agent.js';
import { ACTION_NAMES, BUY, HOLD } from './actions.js';

/** One action the agent took in the environment. */
export interface LoggedAction {
  readonly ts: number;
  readonly market: string;
  readonly action: number;
  readonly score: number;
}

/** The decision the engine receives for an agent action on a snapshot (the environment's prices: the bid, else the last price). */
export function decisionFor(action: number, s: FeatureSnapshot, ts: number, score: number): Decision | undefined {
  if (action === HOLD) return undefined;
  const kind = ACTION_NAMES[action] as Decision['kind'];
  const price = s.touch?.bidPrice ?? s.price;
  if (action === BUY) return { kind, market: s.market, ts, reason: 'agent', score, price };
  if (kind === 'SELL') return { kind, market: s.market, ts, reason: 'agent', price };
  return { kind, market: s.market, ts, reason: 'agent' };
}

/** A decider that replays logged actions at their batch times (the parity check between the environment and the engine). */
export function actionReplay(log: readonly LoggedAction[]): RlDecider {
  const byTs = new Map<number, LoggedAction[]>();
  for (const a of log) {
    let list = byTs.get(a.ts);
    if (!list) byTs.set(a.ts, (list = []));
    list.push(a);
  }
  return (ts, snapshots) => {
    const list = byTs.get(ts);
    if (!list) return [];
    const snap = new Map(snapshots.map((s) => [s.market, s]));
    const out: Decision[] = [];
    for (const a of list) {
      const s = snap.get(a.market);
      const d = s && decisionFor(a.action, s, ts, a.score);
      if (d) out.push(d);
    }
    return out;
  };
}
