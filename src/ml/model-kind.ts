/** The ranker's model kinds (no tfjs here: the configuration schema reads this list). */
/**
 * `linear`: L2 logistic regression; `linear-rank`: linear, fitted on a per-time-step softmax over the
 * coins (linear-model.ts); `gbm-rank`: gradient-boosted trees on that softmax (tree-model.ts).
 */
export type ModelKind = 'mlp' | 'gru' | 'linear' | 'linear-rank' | 'gbm-rank';

export const MODEL_KINDS = ['mlp', 'gru', 'linear', 'linear-rank', 'gbm-rank'] as const satisfies readonly ModelKind[];

/** Kinds that are not a tfjs network: their model.json holds the trees (tree-model.ts). */
export const isTreeKind = (kind: ModelKind): kind is 'gbm-rank' => kind === 'gbm-rank';

/** The linear kinds are fitted in plain TypeScript, not by gradient steps in tfjs. */
export const isLinearKind = (kind: ModelKind): kind is 'linear' | 'linear-rank' => kind === 'linear' || kind === 'linear-rank';

/** Snapshots per input: the sequence model reads the market's last `sequenceLength`, the others one. */
export const stepsOf = (kind: ModelKind, sequenceLength: number): number => (kind === 'gru' ? sequenceLength : 1);
