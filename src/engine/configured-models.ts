import { ConfigError, type Config } from '../config.js';
import type { Strategy } from '../../strategies/index.js';
import type { BatchScorer } from '../../streams/index.js';

/**
 * The scorer `ranking.model` names: a model folder written by `coinrx ranker train`, or undefined for
 * the heuristic score. TensorFlow.js is loaded only when a model is configured.
 */
export async function configuredScorer(config: Config): Promise<BatchScorer | undefined> {
  if (config.ranking.model === '') return undefined;
  const { loadModelScorer } = await import('../ml/model-scorer.js');
  try {
    return await loadModelScorer(config.ranking.model);
  } catch (error) {
    throw new ConfigError([`ranking.model: cannot load the model at "${config.ranking.model}": ${(error as Error).message}`]);
  }
}

/**
 * One line for the start of a run when the version `ranking.model` names ranks with a simple rule
 * (`meta.ranksWith`): the trades are then the rule's, not the network's. Undefined when the network ranks.
 */
export function rankerRuleNote(modelDir: string, scorer: BatchScorer | undefined): string | undefined {
  const rule = (scorer as { readonly ranksWith?: string } | undefined)?.ranksWith;
  return rule === undefined ? undefined : `${modelDir} ranks with the ${rule} (training did not show the network better on validation; docs/ranker.md)`;
}

/**
 * The strategy `strategy.agent` names — a folder written by `coinrx agent train` (its promoted version) —
 * as a factory taking the fee rate (known once the quote currency is), or undefined for the rule-based
 * strategy. TensorFlow.js is not needed: the agent acts with its weights in plain JS.
 */
export async function configuredAgent(config: Config): Promise<((feeRate: number) => Strategy) | undefined> {
  if (config.strategy.agent === '') return undefined;
  const [{ loadAgent }, { agentStrategyFor }] = await Promise.all([import('../ml/rl/agent-model.js'), import('../ml/rl/agent-strategy.js')]);
  try {
    // The agent's signal (the ranker model it was trained with, or a simple rule) is made ready with it.
    const make = await agentStrategyFor(await loadAgent(config.strategy.agent), config);
    return (feeRate) => make(feeRate);
  } catch (error) {
    throw new ConfigError([`strategy.agent: cannot load the agent at "${config.strategy.agent}": ${(error as Error).message}`]);
  }
}
