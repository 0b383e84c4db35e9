import { parseConfig, type Config } from '../../../src/config.js';
import { Random } from '../../../src/core/random.js';
import type { CandleEvent, MarketEvent } from '../../../src/core/index.js';
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

const FIVE_MINUTES = 300_000;
const DAY = 288;

/**
 * The engine profile the made market is traded with: three slots of a third each, 2 % barriers over 12 h, fees
 * of 0.1 %; halts far away (the run trades the whole span) and fills of the whole candle volume unless told.
 */
export function madeMarketConfig(overrides: { bot?: Record<string, unknown>; simulator?: Record<string, unknown> } = {}): Config {
  return parseConfig({
    botId: 'rl',
    exchange: { id: 'binance', quote: 'USDT' },
    features: { every: '5m', staleAfter: '1d' },
    ranking: { top: 3 },
    strategy: { takeProfit: 0.02, stopLoss: 0.02, maxHold: '12h', buyTimeout: '20m', chaseTicks: 50, skipBearMarket: false },
    allocation: { mode: 'equal', maxPositions: 3, maxPerCoin: 0.34, cashReserve: 0.05 },
    bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9, ...overrides.bot },
    simulator: { initialBalance: 10_000, fillModel: 'through', participation: 1, latency: 0, feeRate: 0.001, ...overrides.simulator },
  });
}

/**
 * A market made in the tests (no shared data): four coins of 5-minute candles from a seeded walk, with a crash of
 * every coin on the afternoon of day 2 (the daily loss limit) and a slide through day 4 (the drawdown
 * from the peak), on a drift of `drift` a step; the candles' wicks reach past the agent's limit prices, so buys and sells fill.
 */
export function madeMarket(days: number, seed: number, drift = 0.0001): MarketEvent[] {
  const random = new Random(seed);
  const start = Date.UTC(2024, 2, 4);
  const coins: [string, number][] = [
    ['AAA/USDT', 100],
    ['BBB/USDT', 2.5],
    ['CCC/USDT', 0.048],
    ['DDD/USDT', 31],
  ];
  const prices = coins.map(([, p]) => p);
  const events: MarketEvent[] = [];
  for (let i = 0; i < days * DAY; i++) {
    const day = Math.floor(i / DAY);
    const slot = i % DAY;
    const crash = day === 2 && slot >= 160 && slot < 172 ? -0.01 : 0;
    const slide = day === 4 && slot >= 60 && slot < 200 ? -0.0012 : 0;
    coins.forEach(([name], c) => {
      const open = prices[c] as number;
      const close = open * (1 + crash + slide + drift + (random.next() - 0.5) * 0.006);
      const round = (x: number): number => Number(x.toPrecision(6));
      const candle: CandleEvent = {
        kind: 'candle',
        market: name,
        openTime: start + i * FIVE_MINUTES,
        ts: start + (i + 1) * FIVE_MINUTES,
        open: round(open),
        high: round(Math.max(open, close) * (1 + random.next() * 0.003)),
        low: round(Math.min(open, close) * (1 - random.next() * 0.003)),
        close: round(close),
        volume: 2_000 + random.next() * 8_000,
      };
      events.push(candle);
      prices[c] = close;
    });
  }
  return events;
}
