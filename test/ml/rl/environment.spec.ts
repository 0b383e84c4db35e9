import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Decision, MarketEvent } from '../../../src/core/index.js';
import { Random } from '../../../src/core/random.js';
import { createBacktest } from '../../../src/engine/backtest.js';
import { agentPolicy } from '../../../src/ml/rl/agent-policy.js';
import { ACTION_COUNT, BUY, CANCEL_BUY, CANCEL_SELL, SELL } from '../../../src/ml/rl/actions.js';
import { OBSERVATION_SIZE } from '../../../src/ml/rl/observation.js';
import { initWeights, QForward, qSpec } from '../../../src/ml/rl/q-network.js';
import { parseRlConfig } from '../../../src/ml/rl/rl-config.js';
import { runSelfPlayLoop, type LoopState } from '../../../src/ml/rl/self-play-loop.js';
import { playEpisode } from '../../../src/ml/rl/self-play.js';
import { TradingEnv } from '../../../src/ml/rl/trading-env.js';
import type { PositionView, StrategyInput } from '../../../strategies/index.js';
import { rlAgent } from '../../../strategies/rl-agent.js';
import { skipWithoutSharedData } from '../../helpers/shared-data.js';
import { candleConfig, smallEvents, smallTape, tapeNormalizer } from './fixtures.js';

describe('rl-agent strategy', () => {
  it('sends sells and cancels at the batch, buys only with the same batch’s ranking', async () => {
    const decide = (ts: number): Decision[] => [
      { kind: 'BUY', market: 'A/USDT', ts, reason: 'agent', price: 1, score: 1 },
      { kind: 'SELL', market: 'B/USDT', ts, reason: 'agent', price: 2 },
    ];
    const snap = { market: 'A/USDT' } as never;
    const inputs: StrategyInput[] = [
      { kind: 'features', ts: 100, snapshots: [snap] },
      { kind: 'ranking', ranking: { ts: 100, ranking: [] } },
      { kind: 'features', ts: 200, snapshots: [snap] },
      { kind: 'features', ts: 300, snapshots: [snap] },
      { kind: 'position', position: { positionId: 'p1', market: 'A/USDT', state: 'buying' } as PositionView },
      { kind: 'ranking', ranking: { ts: 300, ranking: [] } },
    ];
    const out = await lastValueFrom(from(inputs).pipe(rlAgent(decide), toArray()));
    expect(out.map((d) => `${d.kind}@${d.ts}`)).toEqual(['SELL@100', 'BUY@100', 'SELL@200', 'SELL@300']);
  });
});

describe.skipIf(skipWithoutSharedData())('RL environment', () => {
  it('masks invalid actions: no sell when flat, no cancel without an order, buys only when the engine would place them', async () => {
    const config = candleConfig();
    const tape = smallTape(await smallEvents(4), config);
    const env = new TradingEnv({ tape, config, reward: parseRlConfig().reward, normalizer: tapeNormalizer(tape) });
    env.reset({ start: 300, end: 700, markets: [0, 1, 2, 3, 4, 5], seed: 0 });
    const random = new Random(3);
    const actions = new Int32Array(env.k);
    let checked = 0;
    for (let done = false; !done; ) {
      for (let k = 0; k < env.k; k++) {
        const m = k * ACTION_COUNT;
        const flat = env.obs[k * OBSERVATION_SIZE + OBSERVATION_SIZE - 9] === 1;
        if (flat) expect([env.mask[m + SELL], env.mask[m + CANCEL_BUY], env.mask[m + CANCEL_SELL]]).toEqual([0, 0, 0]);
        if (env.mask[m + BUY] === 1) expect(tape.ranked[env.batch]).toBe(1);
        const valid = [0, 1, 2, 3, 4].filter((a) => env.mask[m + a] === 1);
        actions[k] = random.next() < 0.3 ? (valid[random.int(valid.length)] as number) : 0;
        checked++;
      }
      done = env.step(actions);
    }
    expect(checked).toBeGreaterThan(2000);
    expect(env.results.length).toBeGreaterThan(0);
  });

  it('the agent policy gives the same run in the environment and as a strategy in the engine', async () => {
    const config = candleConfig();
    const events = await smallEvents(4);
    const tape = smallTape(events, config);
    const normalizer = tapeNormalizer(tape);
    const env = new TradingEnv({ tape, config, reward: parseRlConfig().reward, normalizer, record: true });
    const weights = initWeights(qSpec(OBSERVATION_SIZE, [16], true), 4);
    const start = 300;
    const end = 900;
    playEpisode(env, { start, end, markets: [0, 1, 2, 3, 4, 5], seed: 0 }, { forward: new QForward(weights), epsilon: 0, random: new Random(1) });
    const policy = agentPolicy({ weights, normalizer, feeRate: env.feeRate, maxPositions: config.allocation.maxPositions });
    const startTs = tape.ts[start] as number;
    const run = createBacktest(config, 'USDT', (events[0] as MarketEvent).ts, rlAgent((ts, s, p) => (ts >= startTs ? policy(ts, s, p) : [])));
    for (let i = 0; i < (tape.emitIndex[end] as number); i++) run.feed(events[i] as MarketEvent);
    run.engine.finish();
    expect(env.record!.decisions.length).toBeGreaterThan(0);
    expect(run.engine.results.map((r) => r.pnl.toFixed(8))).toEqual(env.results.map((r) => r.pnl.toFixed(8)));
    expect(run.engine.equity().equity).toBeCloseTo(env.equity(), 8);
  });

  it('the best/current loop records every generation and resumes after a restart as if uninterrupted', async () => {
    const config = candleConfig();
    const tape = smallTape(await smallEvents(6), config);
    const rl = parseRlConfig({ episode: { batches: 48, markets: 3 }, agent: { hidden: [16], trainSteps: 60, batchSize: 64, targetUpdate: 20 }, loop: { trainEpisodes: 3, validationEpisodes: 6, permutations: 500 } });
    const dirA = mkdtempSync(join(tmpdir(), 'rl-loop-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'rl-loop-b-'));
    try {
      const base = { tape, config, rl, trainBatches: [288, 1300] as const, validationBatches: [1300, 1720] as const, data: [] };
      await runSelfPlayLoop({ ...base, out: dirA, generations: 2 });
      await runSelfPlayLoop({ ...base, out: dirB, generations: 1 });
      await runSelfPlayLoop({ ...base, out: dirB, generations: 2 });
      const strip = (s: LoopState) => s.generations.map(({ seconds: _s, training, ...g }) => ({ ...g, losses: training.losses }));
      const a = JSON.parse(readFileSync(join(dirA, 'loop.json'), 'utf8')) as LoopState;
      const b = JSON.parse(readFileSync(join(dirB, 'loop.json'), 'utf8')) as LoopState;
      expect(a.generations).toHaveLength(2);
      expect(strip(b)).toEqual(strip(a));
      expect(b.best).toBe(a.best);
      for (const g of a.generations) {
        expect(g.validation.best).toHaveLength(6);
        expect(typeof g.validation.pValue).toBe('number');
        expect(g.bestAfter).toBe(g.validation.cash?.promoted ? 'cash' : g.promoted ? g.candidate : g.best);
      }
      expect(readFileSync(join(dirA, 'learning-curve.svg'), 'utf8')).toContain('<svg');
      expect(readFileSync(join(dirA, 'models', 'ACTIVE'), 'utf8').trim()).toBe(a.best);
    } finally {
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    }
  });
});
