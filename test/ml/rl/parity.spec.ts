import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import type { Fill, MarketEvent } from '../../../src/core/index.js';
import { createBacktest } from '../../../src/engine/backtest.js';
import { actionReplay } from '../../../src/ml/rl/action-replay.js';
import type { MarketTape } from '../../../src/ml/rl/market-tape.js';
import { parseRlConfig } from '../../../src/ml/rl/rl-config.js';
import { TradingEnv } from '../../../src/ml/rl/trading-env.js';
import { rlAgent } from '../../../strategies/rl-agent.js';
import { skipWithoutSharedData } from '../../helpers/shared-data.js';
import { candleConfig, randomValidEpisode, smallEvents, smallTape, tapeNormalizer } from './fixtures.js';

function fillKey(f: Fill): string {
  return `${f.ts} ${f.market} ${f.side} ${f.price} ${f.amount.toFixed(10)} ${f.fee.toFixed(10)}`;
}

async function engineRun(events: readonly MarketEvent[], tape: MarketTape, end: number, config: Config, log: Parameters<typeof actionReplay>[0]) {
  const fills: Fill[] = [];
  const run = createBacktest(config, 'USDT', (events[0] as MarketEvent).ts, rlAgent(actionReplay(log)));
  run.engine.listen({ onOrderEvent: (e) => void (e.type === 'order.fill' && fills.push(e.fill)) });
  const stop = tape.emitIndex[end] as number;
  for (let i = 0; i < stop; i++) run.feed(events[i] as MarketEvent);
  run.engine.finish();
  return { fills, equity: run.engine.equity().equity, results: run.engine.results };
}

describe.skipIf(skipWithoutSharedData())('RL environment ↔ engine parity', () => {
  for (const [name, overrides] of [
    ['no latency, 10 % participation', {}],
    ['1 minute latency, full participation, touch fills', { simulator: { initialBalance: 10000, fillModel: 'touch', participation: 1, latency: '1m', feeRate: 0.001 } }],
    // Stakes split by each coin's inverse volatility: sized with the snapshots' own float64 values, as the engine does.
    ['stakes by volatility', { allocation: { mode: 'volatility', maxPositions: 5, maxPerCoin: 0.3, cashReserve: 0.05 } }],
  ] as const) {
    it(`the same actions give the same fills and P&L (${name})`, async () => {
      const config = candleConfig(overrides as Record<string, unknown>);
      const events = await smallEvents(5);
      const tape = smallTape(events, config);
      const env = new TradingEnv({ tape, config, reward: parseRlConfig().reward, normalizer: tapeNormalizer(tape), record: true });
      const start = 320;
      const end = start + 2 * 288;
      env.reset({ start, end, markets: [0, 1, 2, 3, 4, 5], seed: 1 });
      // Trading often (buys, partial fills, cancels, sells): a quarter of the steps take a random valid action.
      randomValidEpisode(env, 42, (valid, random) => (valid.length > 0 && random.next() < 0.25 ? (valid[random.int(valid.length)] as number) : 0));
      const rec = env.record!;
      const engine = await engineRun(events, tape, end, config, rec.decisions);
      expect(rec.fills.length).toBeGreaterThan(20);
      expect(env.results.length).toBeGreaterThan(5);
      expect(engine.fills.map(fillKey)).toEqual(rec.fills.map(fillKey));
      expect(engine.results.map((r) => [r.market, r.amount, r.pnl.toFixed(8)])).toEqual(env.results.map((r) => [r.market, r.amount, r.pnl.toFixed(8)]));
      expect(engine.equity).toBeCloseTo(env.equity(), 8);
    });
  }
});
