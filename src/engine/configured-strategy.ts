import type { Config } from '../config.js';
import { edgeGate, riskOn, tripleBarrier, type EdgeGateOptions, type Strategy } from '../../strategies/index.js';

/**
 * The rule-based strategy with the configured barriers; `hooks` hear the edge gate: its estimate behind each
 * BUY it judges (the RL agent's observation) and each BUY it holds back (a run's report).
 */
export function configuredStrategy(config: Config, feeRate: number, hooks: Pick<EdgeGateOptions, 'onEstimate' | 'onHeld'> = {}): Strategy {
  const s = config.strategy;
  const trail = { trailActivate: s.trailActivate, trailDistance: s.trailDistance };
  const rule = tripleBarrier({ takeProfit: s.takeProfit, stopLoss: s.stopLoss, maxHoldMs: s.maxHold, buyTimeoutMs: s.buyTimeout, chaseTicks: s.chaseTicks, feeRate, skipBearMarket: s.skipBearMarket, ...(s.sellTimeout > 0 ? { sellTimeoutMs: s.sellTimeout } : {}), ...trail });
  const g = s.gate;
  const gated = g.edge || g.regimeMin > -1 || g.riskPerTrade > 0 || g.riskOn > 0;
  if (!gated) return rule;
  const gate = edgeGate({ takeProfit: s.takeProfit, stopLoss: s.stopLoss, maxHoldMs: s.maxHold, ...trail, feeRate, buyTimeoutMs: s.buyTimeout, edge: g.edge, regimeHorizon: g.regimeHorizon, regimeMin: g.regimeMin, riskPerTrade: g.riskPerTrade, margin: g.margin, minTrades: g.minTrades, window: g.window, kelly: g.kelly, maxFraction: g.maxFraction, ...(hooks.onEstimate ? { onEstimate: hooks.onEstimate } : {}), ...(hooks.onHeld ? { onHeld: hooks.onHeld } : {}) });
  return g.riskOn > 0 ? riskOn({ horizon: g.regimeHorizon, breadth: g.riskOn, fraction: g.maxFraction }, gate)(rule) : gate(rule);
}
