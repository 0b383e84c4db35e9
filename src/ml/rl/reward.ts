import type { PositionResult } from '../../../machines/index.js';
import type { RewardConfig } from './rl-config.js';

/** Win/loss points of a trade against the target: +1 at or above it, −1 for a loss, 0 in between. */
export function tradePoints(ret: number, target: number): number {
  return ret >= target ? 1 : ret < 0 ? -1 : 0;
}

/** The seed's reward for one closed trade (see RewardConfig for the terms and their weights). */
export function tradeReward(result: Pick<PositionResult, 'return' | 'pnl'>, reward: RewardConfig, target: number, initialBalance: number): number {
  return reward.points * tradePoints(result.return, target) + reward.rateOfReturn * (result.return / target) + reward.profit * ((result.pnl / initialBalance) * 100);
}
