import { Random, type MarketEvent, type MarketSymbol, type TakerSide } from '../core/index.js';

export type MarketRegime = 'bull' | 'bear' | 'flat';

export interface GeneratorOptions {
  seed: number;
  /** Market names, or how many to make (`BTC/KRW`, `ETH/KRW`, ... then `C11/KRW`...). Default 10. */
  markets?: readonly MarketSymbol[] | number;
  /** First event time, epoch ms. Default 2024-01-01T00:00Z. */
  start?: number;
  durationMs: number;
  /** Time between book tops (and the price step). Default 1000 ms. */
  stepMs?: number;
  /** Starting mid prices by market; unnamed markets get a seeded price between 10 and 100,000. */
  initialPrices?: Readonly<Record<MarketSymbol, number>>;
  /** Tick size at a price; default 4 significant digits (the tick of 12,345 is 10). */
  tickSize?: (price: number) => number;
  /** Mean trades per market per second when calm. Default 0.5. */
  tradesPerSecond?: number;
  /** Daily volatility of a calm market (GARCH long-run level). Default 0.04. */
  dailyVolatility?: number;
  /** Drift per day in a bull (+) or bear (−) regime. Default 0.05. */
  regimeDriftPerDay?: number;
  /** Mean regime duration. Default 6 h. */
  meanRegimeMs?: number;
  /** Weight of the common market factor in each coin's shocks (0..1). Default 0.6. */
  marketFactor?: number;
  /** Told of every regime change (and each market's first regime), for tests and labels. */
  onRegime?: (market: MarketSymbol, regime: MarketRegime, ts: number) => void;
  /** Told when a market's volume burst starts (true) or ends (false). */
  onBurst?: (market: MarketSymbol, bursting: boolean, ts: number) => void;
}

const DEFAULT_NAMES = ['BTC', 'ETH', 'XRP', 'SOL', 'DOGE', 'ADA', 'TRX', 'LINK', 'AVAX', 'DOT'];
const DEFAULT_PRICES: Record<string, number> = { 'BTC/KRW': 90_000_000, 'ETH/KRW': 4_000_000, 'XRP/KRW': 800, 'SOL/KRW': 200_000 };
const DAY_MS = 86_400_000;
const GARCH_ALPHA = 0.08;
const GARCH_BETA = 0.9;
/** Slow stochastic volatility on top of GARCH, which alone forgets in minutes at second steps. */
const VOL_MEMORY_MS = 3 * 3_600_000;
const LOG_VOL_SD = 0.5;
const BURST_MULTIPLIER = 6;
const MEAN_BURST_MS = 5 * 60_000;
const MEAN_CALM_MS = 2 * 3_600_000;
/** Half the quoted spread, relative to the mid (before tick rounding widens it). */
const HALF_SPREAD = 0.0004;
/** Typical trade value in quote units (KRW); sizes are lognormal around it. */
const MEAN_TRADE_VALUE = 200_000;

/** 4 significant digits: 10^(floor(log10 p) − 3). */
export function fourDigitTick(price: number): number {
  return 10 ** (Math.floor(Math.log10(price)) - 3);
}

interface CoinState {
  readonly market: MarketSymbol;
  logMid: number;
  variance: number;
  lastShock: number;
  logVol: number;
  regime: MarketRegime;
  bursting: boolean;
  loading: number;
  nextTradeId: number;
}

/** Rounds `ticks × tick` to the tick's decimals so prices print as the exchange would (0.1 + 0.2 issues aside). */
function onTick(ticks: number, tick: number): number {
  if (tick >= 1) return ticks * tick;
  const scale = 10 ** Math.ceil(-Math.log10(tick) - 1e-9);
  return Math.round(ticks * tick * scale) / scale;
}

/**
 * A deterministic synthetic multi-coin market as a stream of book tops and trades, for demos, tests
 * and benchmarks. Per coin: GARCH(1,1) times a slow log-normal stochastic volatility (clustering at
 * minute to hour scales), a hidden Markov regime (bull/bear/flat)
 * setting the drift, Poisson trade arrivals whose rate jumps in volume bursts and with large moves,
 * and shocks that load on one common market factor. Prices stay positive (log-price model) and sit
 * on ticks: bid rounded down, ask up, trades at the touch. Same options ⇒ identical events.
 *
 * Events come in time order (book tops at each step, then the step's trades), lazily: the generator
 * holds one step in memory.
 */
export function* generateMarket(options: GeneratorOptions): Generator<MarketEvent, void, undefined> {
  const rng = new Random(options.seed);
  const names =
    typeof options.markets === 'object'
      ? [...options.markets]
      : Array.from({ length: options.markets ?? 10 }, (_, i) => `${DEFAULT_NAMES[i] ?? `C${i + 1}`}/KRW`);
  const start = options.start ?? Date.UTC(2024, 0, 1);
  const stepMs = options.stepMs ?? 1000;
  if (!(stepMs > 0) || !(options.durationMs >= 0)) throw new Error(`generateMarket: stepMs must be > 0 and durationMs ≥ 0 (got ${stepMs}, ${options.durationMs})`);
  const tickSize = options.tickSize ?? fourDigitTick;
  const stepsPerDay = DAY_MS / stepMs;
  const longRunVariance = (options.dailyVolatility ?? 0.04) ** 2 / stepsPerDay;
  const omega = longRunVariance * (1 - GARCH_ALPHA - GARCH_BETA);
  const drift = (options.regimeDriftPerDay ?? 0.05) / stepsPerDay;
  const pRegimeChange = stepMs / (options.meanRegimeMs ?? 6 * 3_600_000);
  const pBurstStart = stepMs / MEAN_CALM_MS;
  const pBurstEnd = stepMs / MEAN_BURST_MS;
  const baseRate = ((options.tradesPerSecond ?? 0.5) * stepMs) / 1000;
  const factorWeight = options.marketFactor ?? 0.6;
  const volPersistence = Math.exp(-stepMs / VOL_MEMORY_MS);
  const volInnovation = LOG_VOL_SD * Math.sqrt(1 - volPersistence * volPersistence);
  const regimes: MarketRegime[] = ['bull', 'bear', 'flat'];

  const coins: CoinState[] = names.map((market) => {
    const initial = options.initialPrices?.[market] ?? DEFAULT_PRICES[market] ?? 10 * 10 ** (4 * rng.next());
    if (!(initial > 0)) throw new Error(`generateMarket: initial price of ${market} must be > 0 (got ${initial})`);
    const regime = regimes[rng.int(3)] as MarketRegime;
    options.onRegime?.(market, regime, start);
    return { market, logMid: Math.log(initial), variance: longRunVariance, lastShock: 0, logVol: 0, regime, bursting: false, loading: factorWeight * (0.7 + 0.6 * rng.next()), nextTradeId: 1 };
  });

  const steps = Math.floor(options.durationMs / stepMs);
  const trades: MarketEvent[] = [];
  for (let s = 0; s < steps; s++) {
    const t = start + s * stepMs;
    const common = rng.normal();
    for (const coin of coins) {
      if (rng.next() < pRegimeChange) {
        const next = regimes[(regimes.indexOf(coin.regime) + 1 + rng.int(2)) % 3] as MarketRegime;
        coin.regime = next;
        options.onRegime?.(coin.market, next, t);
      }
      coin.variance = omega + GARCH_ALPHA * coin.lastShock * coin.lastShock + GARCH_BETA * coin.variance;
      coin.logVol = volPersistence * coin.logVol + volInnovation * rng.normal();
      const z = coin.loading * common + Math.sqrt(1 - coin.loading * coin.loading) * rng.normal();
      coin.lastShock = Math.sqrt(coin.variance) * z;
      const mu = coin.regime === 'bull' ? drift : coin.regime === 'bear' ? -drift : 0;
      // exp(logVol − sd²) keeps the mean variance at the GARCH level
      const r = mu + coin.lastShock * Math.exp(coin.logVol - LOG_VOL_SD * LOG_VOL_SD);
      coin.logMid += r;
      const mid = Math.exp(coin.logMid);
      const tick = tickSize(mid);
      const bidTicks = Math.floor((mid * (1 - HALF_SPREAD)) / tick);
      const askTicks = Math.max(bidTicks + 1, Math.ceil((mid * (1 + HALF_SPREAD)) / tick));
      const bidPrice = onTick(bidTicks, tick);
      const askPrice = onTick(askTicks, tick);
      const sizeScale = MEAN_TRADE_VALUE / mid;
      yield {
        kind: 'book',
        market: coin.market,
        ts: t,
        bidPrice,
        bidSize: sizeScale * 5 * Math.exp(rng.normal()),
        askPrice,
        askSize: sizeScale * 5 * Math.exp(rng.normal()),
      };

      if (coin.bursting ? rng.next() < pBurstEnd : rng.next() < pBurstStart) {
        coin.bursting = !coin.bursting;
        options.onBurst?.(coin.market, coin.bursting, t);
      }
      // Big moves draw volume too: the rate grows with the move in units of the calm volatility.
      const surprise = Math.abs(r - mu) / Math.sqrt(longRunVariance);
      const rate = baseRate * (coin.bursting ? BURST_MULTIPLIER : 1) * (1 + 0.5 * surprise);
      let offset = 0;
      for (;;) {
        offset += (-Math.log(1 - rng.next()) / rate) * stepMs; // Poisson process: exponential gaps
        if (offset >= stepMs) break;
        const side: TakerSide = rng.next() < 0.5 + Math.max(-0.3, Math.min(0.3, r / Math.sqrt(longRunVariance) / 10)) ? 'buy' : 'sell';
        trades.push({
          kind: 'trade',
          market: coin.market,
          ts: t + Math.floor(offset),
          price: side === 'buy' ? askPrice : bidPrice,
          amount: sizeScale * Math.exp(rng.normal() - 0.5),
          side,
          id: coin.nextTradeId++,
        });
      }
    }
    if (trades.length > 0) {
      trades.sort((a, b) => a.ts - b.ts); // stable: equal times keep market order
      yield* trades;
      trades.length = 0;
    }
  }
}
