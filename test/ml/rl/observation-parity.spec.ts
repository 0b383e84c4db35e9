import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { CandleEvent, MarketEvent } from '../../../src/core/index.js';
import { Random } from '../../../src/core/random.js';
import { createBacktest } from '../../../src/engine/backtest.js';
import { actionReplay } from '../../../src/ml/rl/action-replay.js';
import { ACTION_COUNT } from '../../../src/ml/rl/actions.js';
import { agentObserver } from '../../../src/ml/rl/agent-policy.js';
import { applySignal, describeSignal, expectedValue, fitRuleSignal, modelSignal, SIGNAL_FEATURES, signalScore, tapeSeries, writeSignal, type SignalSpec } from '../../../src/ml/rl/market-signal.js';
import type { MarketTape } from '../../../src/ml/rl/market-tape.js';
import { normalizeInto, type Normalizer } from '../../../src/ml/normalizer.js';
import { calibrate, logit, type Calibration } from '../../../src/ml/calibration.js';
import { firstPassage } from '../../../src/ml/labels.js';
import { fitLinear, linearScores } from '../../../src/ml/linear-model.js';
import type { ModelKind } from '../../../src/ml/model-kind.js';
import type { SimpleRule } from '../../../src/ml/simple-rules.js';
import { fitTrees, treeArtifacts, treeScores } from '../../../src/ml/tree-model.js';
import { initBackend } from '../../../src/ml/backend.js';
import { buildModel } from '../../../src/ml/models.js';
import { parseRankerConfig } from '../../../src/ml/ranker-config.js';
import { saveVersion, type ModelMeta } from '../../../src/ml/registry.js';
import { buildTape } from '../../../src/ml/rl/market-tape.js';
import { OBSERVATION_SIZE, POSITION_OFFSET } from '../../../src/ml/rl/observation.js';
import { parseRlConfig } from '../../../src/ml/rl/rl-config.js';
import { TradingEnv } from '../../../src/ml/rl/trading-env.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../../src/ml/feature-vector.js';
import { rlAgent } from '../../../strategies/rl-agent.js';
import { candleConfig, tapeNormalizer } from './fixtures.js';

const FIVE_MINUTES = 300_000;
const LABEL = { target: 0.02, stop: 0.02, horizonMs: 6 * 3_600_000, feeRate: 0.001, slippageTicks: 1 };

/** Five coins of 5-minute candles from a seeded walk with drifts and calm/wild stretches: a market made for the test. */
function madeMarket(days: number, seed = 7): MarketEvent[] {
  const random = new Random(seed);
  const start = Date.UTC(2024, 0, 1);
  const coins: [string, number, number][] = [
    ['AAA/USDT', 100, 0.0004],
    ['BBB/USDT', 2.5, -0.0002],
    ['CCC/USDT', 0.048, 0.0001],
    ['DDD/USDT', 31, 0.0006],
    ['EEE/USDT', 7.7, -0.0005],
  ];
  const prices = coins.map(([, p]) => p);
  const events: MarketEvent[] = [];
  for (let i = 0; i < days * 288; i++) {
    coins.forEach(([market, , drift], c) => {
      const wild = Math.floor(i / 72 + c) % 3 === 0 ? 3 : 1;
      const open = prices[c] as number;
      const close = open * (1 + drift + (random.next() - 0.5) * 0.008 * wild);
      const round = (x: number): number => Number(x.toPrecision(6));
      const candle: CandleEvent = {
        kind: 'candle',
        market,
        openTime: start + i * FIVE_MINUTES,
        ts: start + (i + 1) * FIVE_MINUTES,
        open: round(open),
        high: round(Math.max(open, close) * (1 + random.next() * 0.003 * wild)),
        low: round(Math.min(open, close) * (1 - random.next() * 0.003 * wild)),
        close: round(close),
        volume: Math.round(500 + random.next() * 2000),
      };
      events.push(candle);
      prices[c] = close;
    });
  }
  return events;
}

/**
 * Plays a seeded random day in the environment on `tape` (its signal applied), replays the same actions
 * through the engine with the agent's observer, and returns both observations per batch time.
 */
function observeBothWays(events: readonly MarketEvent[], tape: MarketTape, normalizer: Normalizer, signal: Parameters<typeof agentObserver>[0]['signal']) {
  const config = candleConfig();
  const env = new TradingEnv({ tape, config, reward: parseRlConfig().reward, normalizer, record: true });
  const start = 2 * 288;
  const end = start + 288;
  const markets = tape.markets.map((_, m) => m);
  env.reset({ start, end, markets, seed: 1 });
  const envObs = new Map<number, Float32Array>();
  const random = new Random(11);
  const actions = new Int32Array(env.k);
  for (let done = false; !done; ) {
    envObs.set(tape.ts[env.batch] as number, env.obs.slice());
    for (let k = 0; k < env.k; k++) {
      const valid: number[] = [];
      for (let a = 1; a < ACTION_COUNT; a++) if (env.mask[k * ACTION_COUNT + a] === 1) valid.push(a);
      actions[k] = valid.length > 0 && random.next() < 0.2 ? (valid[random.int(valid.length)] as number) : 0;
    }
    done = env.step(actions);
  }
  const observe = agentObserver({ normalizer, feeRate: env.feeRate, maxPositions: config.allocation.maxPositions, ...(signal ? { signal } : {}) });
  const replay = actionReplay(env.record!.decisions);
  const engineObs = new Map<number, Map<string, number[]>>();
  const run = createBacktest(config, 'USDT', (events[0] as MarketEvent).ts, rlAgent((ts, snapshots, positions) => {
    // The engine's agent observes every batch (a GRU signal's history needs them all); kept where the environment acted.
    const { obs } = observe(ts, snapshots, positions);
    if (envObs.has(ts)) engineObs.set(ts, new Map(snapshots.map((s, i) => [s.market, Array.from(obs.subarray(i * OBSERVATION_SIZE, (i + 1) * OBSERVATION_SIZE))])));
    return replay(ts, snapshots, positions);
  }));
  for (let i = 0; i < (tape.emitIndex[end] as number); i++) run.feed(events[i] as MarketEvent);
  run.engine.finish();
  return { envObs, engineObs, markets, trades: env.results.length };
}

/** Compares the market features and signal of every batch and market; returns the cells compared, the cells holding and the distinct signal values. */
function compareObservations(tape: MarketTape, both: ReturnType<typeof observeBothWays>): { compared: number; holding: number; signals: Set<number> } {
  let compared = 0;
  let holding = 0;
  const signals = new Set<number>();
  for (const [ts, obs] of both.envObs) {
    const byMarket = both.engineObs.get(ts);
    expect(byMarket, `the engine saw the batch at ${new Date(ts).toISOString()}`).toBeDefined();
    both.markets.forEach((m, k) => {
      const mine = Array.from(obs.subarray(k * OBSERVATION_SIZE, k * OBSERVATION_SIZE + POSITION_OFFSET));
      const theirs = byMarket!.get(tape.markets[m] as string);
      expect(theirs?.slice(0, POSITION_OFFSET), `${tape.markets[m]} at ${new Date(ts).toISOString()}`).toEqual(mine);
      compared++;
      if (obs[k * OBSERVATION_SIZE + POSITION_OFFSET + 2] === 1) holding++;
      signals.add(mine[FEATURE_COUNT] as number);
    });
  }
  return { compared, holding, signals };
}

describe('the ranker signal in the RL observation', () => {
  it('writes 2p − 1 and the expected value after costs, p × gain − (1 − p) × loss, in percent', () => {
    const spec: SignalSpec = { source: 'model', target: 0.02, stop: 0.01, horizonMs: 1 };
    const out = new Float32Array(4);
    writeSignal(spec, 0.6, out, 2);
    expect(Array.from(out)).toEqual([0, 0, Math.fround(0.2), Math.fround((0.6 * 0.02 - 0.4 * 0.01) * 100)]);
    expect(expectedValue(0.25, 0.02, 0.01)).toBeCloseTo(0.25 * 0.02 - 0.75 * 0.01, 15);
    writeSignal(spec, Number.NaN, out, 0);
    expect([out[0], out[1]]).toEqual([-1, -1]);
  });

  it('calibrates the fallback rule on the training batches without reading a price after them', () => {
    const config = candleConfig();
    const events = madeMarket(4);
    const tape = buildTape(events, config);
    const to = 2 * 288;
    const spec = fitRuleSignal(tape, 100, to, LABEL);
    expect(spec.source).toBe('rule');
    expect(spec.rule).toBe('volatility rule');
    expect(spec.fit!.rows).toBeGreaterThan(300);
    expect(spec.fit!.baseRate).toBeGreaterThan(0);
    expect(spec.fit!.baseRate).toBeLessThan(1);
    // Every price after the span's last batch changed: the fit must not move.
    const cut = tape.ts[to - 1] as number;
    const scrambled = events.map((e) => (e.ts > cut && e.kind === 'candle' ? { ...e, high: e.high * 1.5, low: e.low * 0.5 } : e));
    expect(fitRuleSignal(buildTape(scrambled, config), 100, to, LABEL)).toEqual(spec);
  });

  // The position inputs are left out: on this market the environment's position book and the engine's
  // machines part ways at a buy reaching its timeout in the same batch (position-book.ts, being replaced
  // by the real machines); test/ml/rl/parity.spec.ts checks the trades themselves.
  it('the environment and the engine observe the same market features and signal at the same instant, trading', async () => {
    const config = candleConfig();
    const events = madeMarket(4);
    const tape = buildTape(events, config);
    const spec = fitRuleSignal(tape, 100, 2 * 288, LABEL);
    applySignal(tape, spec);
    const both = observeBothWays(events, tape, tapeNormalizer(tape), { spec, score: await signalScore(spec) });
    expect(both.trades).toBeGreaterThan(3);
    const { compared, holding, signals } = compareObservations(tape, both);
    expect(compared).toBeGreaterThan(1000);
    expect(holding).toBeGreaterThan(20);
    // The signal is an input that varies, not a constant.
    expect(signals.size).toBeGreaterThan(50);
    expect(SIGNAL_FEATURES).toBe(2);
  });

  it('with a ranker model, the environment and the engine take the same calibrated probability from it', async () => {
    await initBackend();
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-signal-model-'));
    try {
      // An untrained MLP ranker (seeded weights) with a calibration: what matters is that both sides read it alike.
      const model = buildModel({ kind: 'mlp', features: FEATURE_COUNT, steps: 1, hidden: [8], gruUnits: 4, seed: 3, learningRate: 0.001 });
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })));
      const config = candleConfig();
      const events = madeMarket(4);
      const plain = buildTape(events, config);
      const normalizer = tapeNormalizer(plain);
      const rankerConfig = parseRankerConfig({ label: { target: 0.03, stop: 0.02, horizon: '6h' } });
      const span = { from: 0, to: 1 };
      await saveVersion(dir, artifacts!, { createdAt: '', kind: 'mlp', backend: 'cpu', featureNames: FEATURE_NAMES, sequenceLength: 1, normalizer, calibration: { a: 2, b: -0.3, center: 0, scale: 1 }, baseRate: 0.4, config: rankerConfig, data: { paths: [], files: [], firstTs: 0, lastTs: 1 }, spans: { train: span, validation: span, testFrom: 1 }, metrics: {} });
      const spec = await modelSignal(dir);
      expect([spec.source, spec.target, spec.stop]).toEqual(['model', 0.03, 0.02]);
      const tape = buildTape(events, config, { signalScore: await signalScore(spec), signalSource: 'model' });
      applySignal(tape, spec);
      // The engine loads the ranker again on its side, as a configured agent does.
      const both = observeBothWays(events, tape, normalizer, { spec, score: await signalScore(spec) });
      const { compared, signals } = compareObservations(tape, both);
      expect(compared).toBeGreaterThan(1000);
      expect(signals.size).toBeGreaterThan(50);
      expect(() => applySignal(plain, spec)).toThrow('the tape was scored by the volatility rule');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Every third batch of [from, to) with a known first passage of LABEL: normalised inputs (float32, as the scorer feeds them), outcome, time step. */
  function labelledRows(tape: MarketTape, normalizer: Normalizer, from: number, to: number): { x: Float32Array; y: Float32Array; groups: Float64Array } {
    const series = tapeSeries(tape);
    const M = tape.markets.length;
    const x: number[] = [];
    const y: number[] = [];
    const groups: number[] = [];
    const row = new Float32Array(FEATURE_COUNT);
    for (let b = from; b < to; b += 3) {
      for (let m = 0; m < M; m++) {
        const cell = b * M + m;
        if (tape.present[cell] !== 1) continue;
        const fp = firstPassage(series[m]!, tape.ts[b] as number, tape.price[cell] as number, LABEL);
        if (!fp) continue;
        normalizeInto(normalizer, tape.features, cell * FEATURE_COUNT, row, 0);
        x.push(...row);
        y.push(fp.label === 1 ? 1 : 0);
        groups.push(tape.ts[b] as number);
      }
    }
    return { x: Float32Array.from(x), y: Float32Array.from(y), groups: Float64Array.from(groups) };
  }

  /**
   * A ranker version of `kind` fitted on the tape's first two days (its own trainer: boosted trees or the
   * Newton fit of linear-rank, put into the tfjs model as the training worker does), saved in `dir`, and
   * the raw score of its probability head for a row of normalised inputs (the brute-force reference).
   */
  async function savedRanker(kind: Extract<ModelKind, 'gbm-rank' | 'linear-rank'>, dir: string, tape: MarketTape, normalizer: Normalizer, calibration: Calibration, ranksWith: 'model' | SimpleRule): Promise<(row: Float32Array) => number> {
    const rows = labelledRows(tape, normalizer, 100, 2 * 288);
    const time = fitLinear(rows.x, rows.y, FEATURE_COUNT, { objective: 'pointwise', l2: 1 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    let head: (row: Float32Array) => number;
    if (kind === 'gbm-rank') {
      // Validated on its own rows, so the loss falls every round and all the trees are kept (many distinct values).
      const fit = fitTrees(rows, rows, FEATURE_COUNT, { rounds: 40, depth: 3, shrinkage: 0.1, bins: 16, minLeaf: 2, l2: 1, patience: 40 });
      expect(fit.trees.length).toBeGreaterThan(20);
      artifacts = treeArtifacts({ features: FEATURE_COUNT, trees: fit.trees, time: { w: Array.from(time.w), b: time.b } });
      head = (row) => treeScores(fit.trees, row, FEATURE_COUNT)[0] as number;
    } else {
      const fit = fitLinear(rows.x, rows.y, FEATURE_COUNT, { objective: 'listwise', l2: 0.01, groups: rows.groups });
      const model = buildModel({ kind, features: FEATURE_COUNT, steps: 1, hidden: [], gruUnits: 4, seed: 1, learningRate: 0.001 });
      const set = (name: string, w: Float64Array, b: number): void => model.getLayer(name).setWeights([tf.tensor2d(Float32Array.from(w), [FEATURE_COUNT, 1]), tf.tensor1d([b])]);
      set('p', fit.w, fit.b);
      set('t', time.w, time.b);
      await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })));
      head = (row) => linearScores(fit, row, FEATURE_COUNT)[0] as number;
    }
    const span = { from: 0, to: 1 };
    const meta: Omit<ModelMeta, 'version'> = { createdAt: '', kind, backend: 'cpu', featureNames: FEATURE_NAMES, sequenceLength: 1, normalizer, calibration, baseRate: 0.4, config: parseRankerConfig({ label: { target: 0.03, stop: 0.02, horizon: '6h' }, train: { models: [kind] } }), data: { paths: [], files: [], firstTs: 0, lastTs: 1 }, spans: { train: span, validation: span, testFrom: 1 }, ranksWith, metrics: {} };
    await saveVersion(dir, artifacts!, meta);
    return head;
  }

  it.each([
    ['gbm-rank', 'model'],
    ['linear-rank', 'volatility rule'],
  ] as const)('with a %s ranker version (ranking with the %s), the environment and the engine observe its calibrated probability alike', async (kind, ranksWith) => {
    await initBackend();
    const dir = mkdtempSync(join(tmpdir(), `coinrx-signal-${kind}-`));
    try {
      const config = candleConfig();
      const events = madeMarket(4);
      const plain = buildTape(events, config);
      const normalizer = tapeNormalizer(plain);
      const calibration: Calibration = { a: 1.3, b: -0.2, center: 0, scale: 1 };
      const head = await savedRanker(kind, dir, plain, normalizer, calibration, ranksWith);
      const spec = await modelSignal(dir);
      expect(spec.ranker).toEqual({ kind, ranksWith });
      expect(describeSignal(spec)).toContain(`a ${kind}: its calibrated P(+3 % before −2 % net within 6 h)`);
      if (ranksWith !== 'model') expect(describeSignal(spec)).toContain(`ranks with the ${ranksWith}`);
      const tape = buildTape(events, config, { signalScore: await signalScore(spec), signalSource: 'model' });
      applySignal(tape, spec);
      // Brute force: the version's calibrated probability of every cell, from its own head on the normalised
      // inputs — not the rule the version ranks with.
      const row = new Float32Array(FEATURE_COUNT);
      let cells = 0;
      for (let cell = 0; cell < tape.present.length; cell++) {
        if (tape.present[cell] !== 1) continue;
        normalizeInto(normalizer, tape.features, cell * FEATURE_COUNT, row, 0);
        const p = Math.fround(1 / (1 + Math.exp(-head(row))));
        expect(Math.abs((tape.signalScore[cell] as number) - calibrate(calibration, logit(p)))).toBeLessThan(1e-5);
        cells++;
      }
      expect(cells).toBe(tape.batches * tape.markets.length);
      // The engine loads the version again on its own, as a configured agent does.
      const both = observeBothWays(events, tape, normalizer, { spec, score: await signalScore(spec) });
      const { compared, signals } = compareObservations(tape, both);
      expect(compared).toBeGreaterThan(1000);
      expect(signals.size).toBeGreaterThan(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with a GRU ranker version, both read the same per-market history of its last sequenceLength inputs', async () => {
    await initBackend();
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-signal-gru-'));
    try {
      const steps = 6;
      // An untrained GRU (seeded weights) with a calibration: the point is the history both sides keep.
      const model = buildModel({ kind: 'gru', features: FEATURE_COUNT, steps, hidden: [8], gruUnits: 4, seed: 5, learningRate: 0.001 });
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })));
      const config = candleConfig();
      const events = madeMarket(4);
      const plain = buildTape(events, config);
      const normalizer = tapeNormalizer(plain);
      const calibration: Calibration = { a: 1.5, b: 0.1, center: 0, scale: 1 };
      const span = { from: 0, to: 1 };
      await saveVersion(dir, artifacts!, { createdAt: '', kind: 'gru', backend: 'cpu', featureNames: FEATURE_NAMES, sequenceLength: steps, normalizer, calibration, baseRate: 0.4, config: parseRankerConfig({ label: { target: 0.03, stop: 0.02, horizon: '6h' } }), data: { paths: [], files: [], firstTs: 0, lastTs: 1 }, spans: { train: span, validation: span, testFrom: 1 }, metrics: {} });
      const spec = await modelSignal(dir);
      expect(spec.ranker).toEqual({ kind: 'gru', ranksWith: 'model' });
      const tape = buildTape(events, config, { signalScore: await signalScore(spec), signalSource: 'model' });
      applySignal(tape, spec);
      // Brute force on cells of day 2: the GRU on each market's last `steps` normalised rows, calibrated.
      const M = tape.markets.length;
      const cells: number[] = [];
      for (let b = 288; b < 2 * 288; b += 7) for (let m = 0; m < M; m++) cells.push(b * M + m);
      const x = new Float32Array(cells.length * steps * FEATURE_COUNT);
      const row = new Float32Array(FEATURE_COUNT);
      cells.forEach((cell, i) => {
        for (let k = 0; k < steps; k++) {
          normalizeInto(normalizer, tape.features, (cell - (steps - 1 - k) * M) * FEATURE_COUNT, row, 0);
          x.set(row, (i * steps + k) * FEATURE_COUNT);
        }
      });
      const p = tf.tidy(() => ((model.predict(tf.tensor3d(x, [cells.length, steps, FEATURE_COUNT])) as tf.Tensor[])[0] as tf.Tensor).dataSync());
      cells.forEach((cell, i) => expect(Math.abs((tape.signalScore[cell] as number) - calibrate(calibration, logit(p[i] as number)))).toBeLessThan(1e-5));
      // The engine side loads the version again and observes from its own first batch, as a configured agent does.
      const both = observeBothWays(events, tape, normalizer, { spec, score: await signalScore(spec) });
      const { compared, signals } = compareObservations(tape, both);
      expect(compared).toBeGreaterThan(1000);
      expect(signals.size).toBeGreaterThan(50);
      expect(describeSignal(spec)).toContain('a gru: its calibrated P(+3 % before −2 % net within 6 h)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
