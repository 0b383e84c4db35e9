import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';
import { FEATURE_COUNT } from '../../../src/ml/feature-vector.js';
import { fitNormalizer } from '../../../src/ml/normalizer.js';
import { ACTION_COUNT, BUY, CANCEL_BUY, CANCEL_SELL, SELL } from '../../../src/ml/rl/actions.js';
import { buildTape } from '../../../src/ml/rl/market-tape.js';
import { parseRlConfig } from '../../../src/ml/rl/rl-config.js';
import { TradingEnv } from '../../../src/ml/rl/trading-env.js';
import { madeMarket, madeMarketConfig } from './fixtures.js';

const config = madeMarketConfig({ simulator: { participation: 0.2 } });

const DAY = 288;

/** Random trading over three days, every holding sold (a resting sell cancelled and sold again at the bid) and every buy cancelled in the last six hours; returns each step's rewards summed per market. */
function run(clip: number) {
  const tape = buildTape(madeMarket(5, 11), config);
  const rows: number[] = [];
  for (let i = 0; i < tape.present.length; i++) if (tape.present[i] === 1) rows.push(i);
  const env = new TradingEnv({ tape, config, reward: parseRlConfig({ reward: { clip } }).reward, normalizer: fitNormalizer(tape.features, FEATURE_COUNT, rows) });
  const end = DAY + 3 * DAY;
  env.reset({ start: DAY, end, markets: tape.markets.map((_, m) => m), seed: 1 });
  const random = new Random(2);
  const actions = new Int32Array(env.k);
  const steps: number[] = [];
  for (let done = false; !done; ) {
    const closing = env.batch > end - 72;
    for (let k = 0; k < env.k; k++) {
      const m = k * ACTION_COUNT;
      // Closing: sell, cancel buys, and a sell left above a falling market is cancelled to be sold again at the next bid.
      actions[k] = closing ? (env.mask[m + SELL] === 1 ? SELL : env.mask[m + CANCEL_BUY] === 1 ? CANCEL_BUY : env.mask[m + CANCEL_SELL] === 1 ? CANCEL_SELL : 0) : env.mask[m + BUY] === 1 && random.next() < 0.3 ? BUY : env.mask[m + SELL] === 1 && random.next() < 0.05 ? SELL : 0;
    }
    done = env.step(actions);
    for (let k = 0; k < env.k; k++) steps.push(env.rewards[k] as number);
  }
  return { env, steps };
}

describe('equity reward (reward.mode "equity", the default)', () => {
  it('pays every cost as it is incurred: an episode\'s rewards add up to its P&L after fees and fills, in percent of the balance', () => {
    const { env, steps } = run(1e9);
    expect(env.openPositions()).toHaveLength(0);
    expect(env.results.length).toBeGreaterThan(10);
    const pnl = env.results.reduce((a, r) => a + r.pnl, 0);
    const fees = env.results.reduce((a, r) => a + r.fees, 0);
    expect(fees).toBeGreaterThan(0);
    const total = steps.reduce((a, r) => a + r, 0);
    expect(total).toBeCloseTo((pnl / 10_000) * 100, 3);
    expect(total).toBeCloseTo(((env.equity() - 10_000) / 10_000) * 100, 3);
    // Rewards come while positions are open (marked each step), not only when they close.
    expect(steps.filter((r) => r !== 0).length).toBeGreaterThan(env.results.length * 5);
  });

  it('clips a step\'s reward at ±clip percent of the balance', () => {
    const { steps } = run(0.02);
    const max = Math.max(...steps.map(Math.abs));
    expect(max).toBeLessThanOrEqual(0.02 + 1e-7);
    expect(steps.filter((r) => Math.abs(r) > 0.02 - 1e-7).length).toBeGreaterThan(0);
  });
});
