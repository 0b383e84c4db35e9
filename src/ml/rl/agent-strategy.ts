import type { Config } from '../../config.js';
import type { Strategy } from '../../../strategies/index.js';
import { rlAgent } from '../../../strategies/rl-agent.js';
import { agentActions, loadAgent, type LoadedAgent } from './agent-model.js';
import { agentPolicy } from './agent-policy.js';
import { signalScore } from './market-signal.js';
import { strategyAgent } from './strategy-agent.js';

/**
 * The promoted agent (a train folder's ACTIVE version, or one version folder) as the engine's strategy
 * for backtest, paper or live trading: `createBacktest(config, quote, ts, await loadAgentStrategy(dir, config, fee))`
 * or `new TradingEngine({ ..., strategy })`. Its decisions feed the position machines like any strategy's.
 */
export async function loadAgentStrategy(dir: string, config: Config, feeRate: number, onTiming?: (ms: number, markets: number) => void): Promise<Strategy> {
  return (await agentStrategyFor(await loadAgent(dir), config))(feeRate, onTiming);
}

/** A loaded agent as a strategy factory taking the fee rate; its signal's score is made ready here (the ranker loaded when the signal names one). */
export async function agentStrategyFor(agent: LoadedAgent, config: Config): Promise<(feeRate: number, onTiming?: (ms: number, markets: number) => void) => Strategy> {
  const actions = agentActions(agent.meta);
  // The `strategy` action source: the rule strategy runs inside the agent, which chooses among its decisions.
  if (actions.source === 'strategy') return (feeRate, onTiming) => strategyAgent({ weights: agent.weights, normalizer: agent.meta.normalizer, config, feeRate, ...(onTiming ? { onTiming } : {}) });
  const spec = agent.meta.signal;
  const signal = spec ? { spec, score: await signalScore(spec) } : undefined;
  return (feeRate, onTiming) => rlAgent(agentPolicy({ weights: agent.weights, normalizer: agent.meta.normalizer, feeRate, maxPositions: config.allocation.maxPositions, actions, ...(signal ? { signal } : {}), ...(onTiming ? { onTiming } : {}) }));
}
