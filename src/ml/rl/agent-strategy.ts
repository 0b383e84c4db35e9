import type { Config } from '../../config.js';
import type { Strategy } from '../../../strategies/index.js';
import { rlAgent } from '../../../strategies/rl-agent.js';
import { loadAgent } from './agent-model.js';
import { agentPolicy } from './agent-policy.js';

/**
 * The promoted agent (a train folder's ACTIVE version, or one version folder) as the engine's strategy
 * for backtest, paper or live trading: `createBacktest(config, quote, ts, await loadAgentStrategy(dir, config, fee))`
 * or `new TradingEngine({ ..., strategy })`. Its decisions feed the position machines like any strategy's.
 */
export async function loadAgentStrategy(dir: string, config: Config, feeRate: number, onTiming?: (ms: number, markets: number) => void): Promise<Strategy> {
  const agent = await loadAgent(dir);
  return rlAgent(agentPolicy({ weights: agent.weights, normalizer: agent.meta.normalizer, feeRate, maxPositions: config.allocation.maxPositions, ...(onTiming ? { onTiming } : {}) }));
}
