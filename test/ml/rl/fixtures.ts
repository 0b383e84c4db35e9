import { parseConfig, type Config } from '../../../src/config.js';
import { Random } from '../../../src/core/random.js';
import type { MarketEvent } from '../../../src/core/index.js';
import { readAll } from '../../../src/market-data/index.js';
import { fitNormalizer, type Normalizer } from '../../../src/ml/normalizer.js';
import { FEATURE_COUNT } from '../../../src/ml/feature-vector.js';
import { ACTION_COUNT } from '../../../src/ml/rl/actions.js';
import { buildTape, type MarketTape } from '../../../src/ml/rl/market-tape.js';
import type { TradingEnv } from '../../../src/ml/rl/trading-env.js';
import { sharedData } from '../../helpers/shared-data.js';

export const CANDLES = sharedData('candles', 'binance-spot-2021-5m');
export const SMALL_MARKETS = ['BTC/USDT', 'ETH/USDT', 'ADA/USDT', 'DOGE/USDT', 'LINK/USDT', 'XRP/USDT'];

export function candleConfig(overrides: Record<string, unknown> = {}): Config {
  return parseConfig({
    botId: 'rl',
    exchange: { id: 'binance', quote: 'USDT' },
    features: { every: '5m', staleAfter: '1d' },
    ranking: { top: 3 },
    strategy: { takeProfit: 0.02, stopLoss: 0.02, maxHold: '12h', buyTimeout: '30m', chaseTicks: 50, skipBearMarket: true },
    allocation: { mode: 'equal', maxPositions: 3, maxPerCoin: 0.34, cashReserve: 0.05 },
    simulator: { initialBalance: 10000, fillModel: 'through', participation: 0.1, latency: 0, feeRate: 0.001 },
    ...overrides,
  });
}

/** A few markets over the first `days` days of the shared candles, in memory. */
export async function smallEvents(days: number, markets: readonly string[] = SMALL_MARKETS): Promise<MarketEvent[]> {
  const { events } = await readAll([CANDLES]);
  const keep = new Set(markets);
  const t0 = (events[0] as MarketEvent).ts;
  return events.filter((e) => keep.has(e.market) && e.ts < t0 + days * 86_400_000);
}

export function tapeNormalizer(tape: MarketTape): Normalizer {
  const rows: number[] = [];
  for (let i = 0; i < tape.present.length; i++) if (tape.present[i] === 1) rows.push(i);
  return fitNormalizer(tape.features, FEATURE_COUNT, rows);
}

export function smallTape(events: readonly MarketEvent[], config: Config): MarketTape {
  return buildTape(events, config);
}

/**
 * Plays the environment's episode to its end with seeded random actions: per step and market, `choose`
 * gets the valid actions other than HOLD (in index order) and the generator, and returns the action
 * (0 = HOLD); each market's score is the generator's next draw. The parity specs give the same actions to
 * the engine (env.record.decisions).
 */
export function randomValidEpisode(env: TradingEnv, seed: number, choose: (valid: readonly number[], random: Random) => number): void {
  const random = new Random(seed);
  const actions = new Int32Array(env.k);
  const scores = new Float32Array(env.k);
  const valid: number[] = [];
  for (let done = false; !done; ) {
    for (let k = 0; k < env.k; k++) {
      valid.length = 0;
      for (let a = 1; a < ACTION_COUNT; a++) if (env.mask[k * ACTION_COUNT + a] === 1) valid.push(a);
      actions[k] = choose(valid, random);
      scores[k] = random.next();
    }
    done = env.step(actions, scores);
  }
}
