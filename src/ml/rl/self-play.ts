import type { Random } from '../../core/random.js';
import { ACTION_COUNT, BUY, HOLD, maskedArgmax } from './actions.js';
import type { Episode } from './episode.js';
import { OBSERVATION_SIZE, POSITION_OFFSET } from './observation.js';
import type { QForward } from './q-network.js';
import type { MemoryWriter } from './replay-memory.js';
import type { TradingEnv } from './trading-env.js';

/** How one episode went, with costs (fees, fill model) included. */
export interface EpisodeOutcome {
  /** Final equity over the starting balance, minus 1. */
  readonly return: number;
  readonly pnl: number;
  readonly trades: number;
  readonly wins: number;
  readonly fees: number;
  readonly reward: number;
  readonly steps: number;
}

/** Acting policy: a Q network (greedy, or ε-greedy over the valid actions), or uniformly random valid actions when `forward` is absent. */
export interface PlayOptions {
  readonly forward?: QForward;
  readonly epsilon: number;
  readonly random: Random;
  readonly memory?: MemoryWriter;
  /** Share of flat-and-HOLD transitions with no reward kept in memory. */
  readonly keepIdle?: number;
  /** Discount per step and steps per memory transition (n-step returns). */
  readonly gamma?: number;
  readonly nStep?: number;
}

interface Pending {
  readonly obs: Float32Array;
  readonly action: number;
  readonly flat: boolean;
  reward: number;
}

export function playEpisode(env: TradingEnv, episode: Episode, options: PlayOptions): EpisodeOutcome {
  env.reset(episode);
  const k = env.k;
  const q = new Float32Array(k * ACTION_COUNT);
  const actions = new Int32Array(k);
  // Float64, as the engine's agent computes its decisions' scores: a float32 copy rounds near-ties into ties and a ranking's buys are sized in another order.
  const scores = new Float64Array(k);
  const prev = new Float32Array(k * OBSERVATION_SIZE);
  const { random, memory } = options;
  const keepIdle = options.keepIdle ?? 1;
  const gamma = options.gamma ?? 0.99;
  const nStep = options.nStep ?? 1;
  const pending: Pending[][] = Array.from({ length: k }, () => []);
  let reward = 0;
  let steps = 0;
  for (let done = false; !done; ) {
    if (options.forward) options.forward.run(env.obs, k, q);
    for (let i = 0; i < k; i++) {
      const m = i * ACTION_COUNT;
      if (!options.forward || (options.epsilon > 0 && random.next() < options.epsilon)) {
        let valid = 0;
        for (let a = 0; a < ACTION_COUNT; a++) valid += env.mask[m + a] as number;
        let pick = random.int(valid);
        let chosen = HOLD;
        for (let a = 0; a < ACTION_COUNT; a++) if (env.mask[m + a] === 1 && pick-- === 0) chosen = a;
        actions[i] = chosen;
      } else actions[i] = maskedArgmax(q, m, env.mask, m);
      scores[i] = options.forward ? (q[m + BUY] as number) - (q[m + HOLD] as number) : random.next();
    }
    if (memory) prev.set(env.obs);
    done = env.step(actions, scores);
    steps += k;
    for (let i = 0; i < k; i++) {
      const r = env.rewards[i] as number;
      reward += r;
      if (!memory) continue;
      const queue = pending[i] as Pending[];
      // Every pending transition of this market earns r, discounted by how long ago it was taken.
      let d = 1;
      for (let j = queue.length - 1; j >= 0; j--) {
        d *= gamma;
        (queue[j] as Pending).reward += r * d;
      }
      queue.push({ obs: prev.slice(i * OBSERVATION_SIZE, (i + 1) * OBSERVATION_SIZE), action: actions[i] as number, flat: prev[i * OBSERVATION_SIZE + FLAT_INDEX] === 1, reward: r });
      while (queue.length > 0 && (queue.length >= nStep || done)) {
        const t = queue.shift() as Pending;
        const discount = done ? 0 : gamma ** nStep;
        if (keepIdle < 1 && t.action === HOLD && t.flat && t.reward === 0 && random.next() >= keepIdle) continue;
        memory.push(t.obs, 0, t.action, t.reward, env.obs, i * OBSERVATION_SIZE, env.mask, i * ACTION_COUNT, discount);
      }
    }
  }
  const initial = env.config.simulator.initialBalance;
  const equity = env.equity();
  const results = env.results;
  return { return: equity / initial - 1, pnl: equity - initial, trades: results.length, wins: results.filter((r) => r.pnl > 0).length, fees: env.fees(), reward, steps };
}

/** Index of the "flat" position input in an observation. */
const FLAT_INDEX = POSITION_OFFSET;
