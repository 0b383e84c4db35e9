import { z } from 'zod';

/**
 * Reward shaping (configuration, not code). Default = the seed's definition: when a position closes,
 * the trade result against the target return as win/loss points (+1 at or above the target, −1 for a
 * loss, 0 in between), plus its rate of return in units of the target, plus its profit in percent of
 * the starting balance. `openAtEnd` scores positions still open when the episode
 * ends as if sold at the bid net of the fee.
 */
export const rewardSchema = z
  .object({
    /** Target return of a trade (net of fees); default: the strategy's take-profit. */
    target: z.number().positive().optional(),
    points: z.number().default(1),
    rateOfReturn: z.number().default(1),
    profit: z.number().default(1),
    openAtEnd: z.boolean().default(true),
  })
  .prefault({});

export const rlConfigSchema = z
  .object({
    reward: rewardSchema,
    episode: z
      .object({
        /** Episode length in batches (288 five-minute batches = one day). */
        batches: z.number().int().positive().default(288),
        /** Markets per episode, drawn from the pool with the episode's seed; 0 = every market. */
        markets: z.number().int().nonnegative().default(10),
      })
      .prefault({}),
    agent: z
      .object({
        hidden: z.array(z.number().int().positive()).default([64, 64]),
        dueling: z.boolean().default(true),
        gamma: z.number().min(0).max(1).default(0.99),
        /** Steps of real reward per transition before bootstrapping (n-step returns carry a trade's result back to its buy). */
        nStep: z.number().int().positive().default(12),
        learningRate: z.number().positive().default(0.0005),
        batchSize: z.number().int().positive().default(256),
        /** Gradient steps per generation (current_player's training on best_player's memory). */
        trainSteps: z.number().int().positive().default(1500),
        /** Target network refresh, in gradient steps (double DQN: the online net picks, the target net values). */
        targetUpdate: z.number().int().positive().default(100),
        /** ε of best_player's ε-greedy self-play (exploration); validation plays greedily. */
        epsilon: z.number().min(0).max(1).default(0.1),
        /** Transitions that only HOLD while flat are kept with this probability (they dominate the memory). */
        keepIdle: z.number().min(0).max(1).default(0.1),
        huberDelta: z.number().positive().default(1),
      })
      .prefault({}),
    loop: z
      .object({
        generations: z.number().int().positive().default(5),
        trainEpisodes: z.number().int().positive().default(24),
        validationEpisodes: z.number().int().positive().default(40),
        /** Promote when mean(current − best − margin) > 0 at significance `alpha` (paired sign-flip test). */
        margin: z.number().min(0).default(0),
        alpha: z.number().min(0).max(1).default(0.05),
        /** Test the g-th candidate at alpha / g (Bonferroni over the candidates tried so far), so trying many does not promote luck. */
        adjustForTries: z.boolean().default(true),
        permutations: z.number().int().positive().default(10_000),
        /** Days at the end of the training span held out for validation (promotion decisions). */
        validationDays: z.number().positive().default(14),
      })
      .prefault({}),
    seed: z.number().int().default(7),
  })
  .strict();

export type RlConfig = z.output<typeof rlConfigSchema>;
export type RewardConfig = z.output<typeof rewardSchema>;

export function parseRlConfig(raw: unknown = {}): RlConfig {
  return rlConfigSchema.parse(raw);
}
