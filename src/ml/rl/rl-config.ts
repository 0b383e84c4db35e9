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
    /**
     * `equity` (default): every step, each market earns the change of its position's value marked at the
     * bid net of the sell fee, in percent of the starting balance, clipped at ±`clip` — every cost (fees both
     * ways, the fill model's prices, a buy that rests and is cancelled) is inside it, and an episode's sum is
     * its P&L, the figure validation judges. `trade`: the seed's reward when a position closes (below).
     */
    mode: z.enum(['equity', 'trade']).default('equity'),
    /** Largest reward of one step in `equity` mode (percent of the starting balance): one gap does not swamp the memory. */
    clip: z.number().positive().default(2),
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
    /**
     * What the agent may do. `candidates` (default): BUY is offered only for the ranker's candidates — markets
     * whose expected net return after costs (the observation's signal, p × gain − (1 − p) × loss) exceeds
     * `minEdge` —, so staying in cash is the default and every entry is one the edge rule would consider;
     * off: BUY wherever a slot is free (the seed's action space).
     */
    actions: z
      .object({
        candidates: z.boolean().default(true),
        minEdge: z.number().default(0),
        /**
         * Where the BUY candidates come from: `signal` (default) — the ranker signal's expected value above
         * (`candidates`, `minEdge`); `strategy` — exactly the entries the configured rule strategy
         * (src/engine/configured-strategy.ts: triple barrier, edge gate, regime filter, Kelly stake) emits at
         * that batch, run inside the environment on the episode's own positions, with its exits carried out
         * unless the agent sells first. Taking every offered entry is the rule strategy; the agent may skip
         * entries and exit early. The observation's signal inputs are then the gate's estimate (2p − 1 and
         * the expected net return of its paper trades, in percent).
         */
        source: z.enum(['signal', 'strategy']).default('signal'),
        /** `strategy` source: days of batches the strategy is fed before an episode (its gate's paper trades and regime); evaluation feeds it from the data's start, as the backtest does. */
        warmDays: z.number().nonnegative().default(3),
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
        /**
         * Generation 0: `rule` (default) — the edge rule written as the network's weights (rule-network.ts:
         * buy the candidates, sell at the signal's target or stop or after its horizon), so the first
         * incumbent is the rule and a candidate must beat it; `untrained` — seeded random weights.
         */
        start: z.enum(['rule', 'untrained']).default('rule'),
        /**
         * Cash is the default: each generation, the player the gate keeps (the candidate that beat the
         * incumbent, else the incumbent) trades on only if, where it traded, it beats cash on the same
         * validation episodes through the same gate (one more candidate tried); else cash (a network that
         * never buys, saved as models/cash) becomes best. false: the kept player trades whatever it showed.
         */
        cashChallenger: z.boolean().default(true),
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
/** The action space; `source` and `warmDays` may be left out (the `signal` source), as by agents' settings saved before them. */
export type ActionConfig = Pick<RlConfig['actions'], 'candidates' | 'minEdge'> & Partial<RlConfig['actions']>;

export function parseRlConfig(raw: unknown = {}): RlConfig {
  return rlConfigSchema.parse(raw);
}
