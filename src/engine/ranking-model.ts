import type { Config } from '../config.js';
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
    throw new Error(`ranking.model: cannot load the model at "${config.ranking.model}": ${(error as Error).message}`);
  }
}
