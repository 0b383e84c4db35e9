import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../../src/core/index.js';
import { Random } from '../../../src/core/random.js';
import { createBacktest } from '../../../src/engine/backtest.js';
import { FEATURE_COUNT } from '../../../src/ml/feature-vector.js';
import { fitNormalizer } from '../../../src/ml/normalizer.js';
import { RULE_SCORERS } from '../../../src/ml/simple-rules.js';
import { ACTION_COUNT, BUY, maskedArgmax, SELL } from '../../../src/ml/rl/actions.js';
import { agentPolicy } from '../../../src/ml/rl/agent-policy.js';
import { applySignal, fitRuleSignal, SIGNAL_FEATURES } from '../../../src/ml/rl/market-signal.js';
import { buildTape } from '../../../src/ml/rl/market-tape.js';
import { OBSERVATION_SIZE, POSITION_OFFSET } from '../../../src/ml/rl/observation.js';
import { qSpec, QForward } from '../../../src/ml/rl/q-network.js';
import { parseRlConfig } from '../../../src/ml/rl/rl-config.js';
import { ruleAction, ruleWeights, type ExitRule } from '../../../src/ml/rl/rule-network.js';
import { runSelfPlayLoop } from '../../../src/ml/rl/self-play-loop.js';
import { playEpisode } from '../../../src/ml/rl/self-play.js';
import { TradingEnv } from '../../../src/ml/rl/trading-env.js';
import { rlAgent } from '../../../strategies/rl-agent.js';
import { madeMarket, madeMarketConfig } from './fixtures.js';

const DAY = 288;
const HOUR = 3_600_000;

/** A four-coin market made here, its tape with the volatility rule's signal calibrated on it, and the median expected value as the minimum edge (half the cells are candidates). */
function setup() {
  const cfg = madeMarketConfig();
  const events = madeMarket(5, 3);
  const tape = buildTape(events, cfg);
  const signal = fitRuleSignal(tape, DAY, tape.batches, { target: 0.01, stop: 0.01, horizonMs: 6 * HOUR, feeRate: 0.001, slippageTicks: 1 }, 1);
  applySignal(tape, signal);
  const evs: number[] = [];
  for (let c = 0; c < tape.present.length; c++) if (tape.present[c] === 1) evs.push(tape.signal[c * SIGNAL_FEATURES + 1] as number);
  evs.sort((a, b) => a - b);
  const actions = { candidates: true, minEdge: (evs[Math.floor(evs.length / 2)] as number) / 100 };
  const rows: number[] = [];
  for (let i = 0; i < tape.present.length; i++) if (tape.present[i] === 1) rows.push(i);
  const normalizer = fitNormalizer(tape.features, FEATURE_COUNT, rows);
  return { cfg, events, tape, signal, actions, normalizer };
}

describe('generation 0 is the edge rule (rule-network.ts)', () => {
  // Exits close to the entry so that every exit of the rule happens within the run.
  const rule: ExitRule = { target: 0.006, stop: 0.006, horizonMs: 2 * HOUR };

  it('the rule network decides as the rule at every step and market: buys only candidates, sells at the target, the stop or the horizon', () => {
    const { cfg, tape, actions, normalizer } = setup();
    const env = new TradingEnv({ tape, config: cfg, reward: parseRlConfig().reward, normalizer, actions });
    const forward = new QForward(ruleWeights(qSpec(OBSERVATION_SIZE, [64, 64], true), rule, 7));
    const plain = new QForward(ruleWeights(qSpec(OBSERVATION_SIZE, [16], false), rule, 8));
    env.reset({ start: DAY, end: tape.batches - 2, markets: tape.markets.map((_, m) => m), seed: 1 });
    const q = new Float32Array(env.k * ACTION_COUNT);
    const q2 = new Float32Array(env.k * ACTION_COUNT);
    const acts = new Int32Array(env.k);
    const counts = { buy: 0, notOffered: 0, target: 0, stop: 0, horizon: 0, holdWhileHolding: 0 };
    for (let done = false; !done; ) {
      forward.run(env.obs, env.k, q);
      plain.run(env.obs, env.k, q2);
      for (let k = 0; k < env.k; k++) {
        const o = k * OBSERVATION_SIZE;
        const m = k * ACTION_COUNT;
        const expected = ruleAction(env.obs, o, env.mask, m, rule);
        acts[k] = maskedArgmax(q, m, env.mask, m);
        expect(acts[k]).toBe(expected);
        expect(maskedArgmax(q2, m, env.mask, m)).toBe(expected);
        const ev = env.obs[o + FEATURE_COUNT + 1] as number;
        const flat = env.obs[o + POSITION_OFFSET] === 1;
        if (flat && tape.ranked[env.batch] === 1 && ev <= actions.minEdge * 100) counts.notOffered++;
        if (env.mask[m + BUY] === 1) expect(ev).toBeGreaterThan(actions.minEdge * 100);
        if (expected === BUY) counts.buy++;
        if (env.mask[m + SELL] === 1) {
          const r = (env.obs[o + POSITION_OFFSET + 4] as number) / 10;
          const days = env.obs[o + POSITION_OFFSET + 5] as number;
          if (expected !== SELL) counts.holdWhileHolding++;
          else if (r > rule.target) counts.target++;
          else if (r < -rule.stop) counts.stop++;
          else if (days >= rule.horizonMs / 86_400_000 - 1e-6) counts.horizon++;
        }
      }
      done = env.step(acts);
    }
    // Every branch of the rule was taken, and markets below the edge were passed over.
    expect(counts.buy).toBeGreaterThan(10);
    expect(counts.notOffered).toBeGreaterThan(100);
    expect(counts.holdWhileHolding).toBeGreaterThan(10);
    expect(counts.target).toBeGreaterThan(0);
    expect(counts.stop).toBeGreaterThan(0);
    expect(counts.horizon).toBeGreaterThan(0);
    expect(env.results.length).toBeGreaterThan(5);
  });

  for (const [name, buyWeight] of [
    ['', 1],
    // BUY's scores a few 1e-8 apart: float32 copies of them would tie and size a ranking's buys in another order than the engine.
    [', near-tie scores', 1e-7],
  ] as const) {
    it(`the engine running the rule network as a strategy (candidate mask on its side) makes the environment's trades${name}`, () => {
      const { cfg, events, tape, signal, actions, normalizer } = setup();
      const env = new TradingEnv({ tape, config: cfg, reward: parseRlConfig().reward, normalizer, actions, record: true });
      const weights = ruleWeights(qSpec(OBSERVATION_SIZE, [32, 32], true), rule, 3);
      (weights.tensors.find((t) => t.name === 'advantage/kernel')!.data)[3 * ACTION_COUNT + BUY] = buyWeight;
      const start = DAY;
      const end = tape.batches - 2;
      playEpisode(env, { start, end, markets: tape.markets.map((_, m) => m), seed: 0 }, { forward: new QForward(weights), epsilon: 0, random: new Random(1) });
      const policy = agentPolicy({ weights, normalizer, feeRate: env.feeRate, maxPositions: cfg.allocation.maxPositions, actions, signal: { spec: signal, score: RULE_SCORERS[signal.rule!] } });
      const startTs = tape.ts[start] as number;
      const run = createBacktest(cfg, 'USDT', (events[0] as MarketEvent).ts, rlAgent((ts, s, p) => (ts >= startTs ? policy(ts, s, p) : [])));
      for (let i = 0; i < (tape.emitIndex[end] as number); i++) run.feed(events[i] as MarketEvent);
      run.engine.finish();
      expect(env.results.length).toBeGreaterThan(5);
      expect(run.engine.results.map((r) => [r.market, r.pnl.toFixed(8)])).toEqual(env.results.map((r) => [r.market, r.pnl.toFixed(8)]));
      expect(run.engine.equity().equity).toBeCloseTo(env.equity(), 8);
    });
  }
});

describe('the loop starts from the rule and can choose cash', () => {
  it('an edge rule that loses on every validation episode is replaced by cash through the gate (a candidate tried), and cash is then the bar', async () => {
    // Four coins sliding 0.1 % every five minutes: nothing pays; every market is a candidate (minEdge −100 %).
    const cfg = madeMarketConfig();
    const tape = buildTape(madeMarket(4, 5, -0.001), cfg);
    const rl = parseRlConfig({ actions: { minEdge: -1 }, episode: { batches: 36, markets: 0 }, agent: { hidden: [16], trainSteps: 40, batchSize: 32, targetUpdate: 20 }, loop: { trainEpisodes: 2, validationEpisodes: 8, permutations: 2000 } });
    const out = mkdtempSync(join(tmpdir(), 'rl-cash-'));
    try {
      const state = await runSelfPlayLoop({ tape, config: cfg, rl, out, trainBatches: [DAY, 3 * DAY], validationBatches: [3 * DAY, 4 * DAY], data: [], generations: 2, label: { target: 0.01, stop: 0.01, horizonMs: 6 * HOUR, feeRate: 0.001, slippageTicks: 1 } });
      const [first, second] = state.generations;
      // Generation 1: the rule (v0) traded and lost on all 8 episodes; tested against cash as the second candidate tried, at 0.05 / 2.
      expect(first!.best).toBe('v0');
      expect(first!.validation.tradesBest).toBeGreaterThan(8);
      expect(first!.validation.best.every((r) => r < 0)).toBe(true);
      expect(first!.validation.cash).toMatchObject({ player: 'v0', candidatesTried: 2, alpha: 0.025, promoted: true });
      expect(first!.validation.cash!.meanDiff).toBeLessThan(0);
      expect(first!.bestAfter).toBe('cash');
      expect(readFileSync(join(out, 'models', 'ACTIVE'), 'utf8').trim()).toBe('cash');
      // Generation 2: cash is the incumbent (its validation returns are 0: it bought nothing), not tried against itself; the count goes on.
      expect(second!.best).toBe('cash');
      expect(second!.validation.tradesBest).toBe(0);
      expect(second!.validation.best.every((r) => r === 0)).toBe(true);
      expect(second!.validation.cash).toBeUndefined();
      expect(second!.validation.candidatesTried).toBe(3);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  for (const [episodes, kept] of [
    [3, 'cash'],
    [8, 'v0'],
  ] as const) {
    it(`a rule that wins on ${episodes} validation episodes ${kept === 'cash' ? 'but not significantly is replaced by cash: the bot holds cash without a shown edge' : 'significantly keeps trading'}`, async () => {
      // Four coins rising 0.1 % every five minutes: the rule's +1 % exits pay on every episode.
      const cfg = madeMarketConfig();
      const tape = buildTape(madeMarket(4, 5, 0.001), cfg);
      const rl = parseRlConfig({ actions: { minEdge: -1 }, episode: { batches: 36, markets: 0 }, agent: { hidden: [16], trainSteps: 40, batchSize: 32, targetUpdate: 20 }, loop: { trainEpisodes: 2, validationEpisodes: episodes, permutations: 2000 } });
      const out = mkdtempSync(join(tmpdir(), 'rl-edge-'));
      try {
        const state = await runSelfPlayLoop({ tape, config: cfg, rl, out, trainBatches: [DAY, 3 * DAY], validationBatches: [3 * DAY, 4 * DAY], data: [], generations: 1, label: { target: 0.01, stop: 0.01, horizonMs: 6 * HOUR, feeRate: 0.001, slippageTicks: 1 } });
        const [first] = state.generations;
        expect(first!.validation.best.every((r) => r > 0)).toBe(true);
        const player = first!.validation.cash!.player;
        expect(first!.validation.cash!.meanDiff).toBeGreaterThan(0);
        // With 3 episodes a one-sided sign-flip test cannot go below 1/8: no edge is shown, whatever the returns.
        if (kept === 'cash') expect(first!.validation.cash!.pValue).toBeGreaterThan(first!.validation.cash!.alpha);
        expect(first!.bestAfter).toBe(kept === 'cash' ? 'cash' : player);
        expect(readFileSync(join(out, 'models', 'ACTIVE'), 'utf8').trim()).toBe(first!.bestAfter);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
