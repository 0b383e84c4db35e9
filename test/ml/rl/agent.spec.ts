import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/core/random.js';
import { ACTION_COUNT } from '../../../src/ml/rl/actions.js';
import { runDqnJob, tfQValues } from '../../../src/ml/rl/dqn-train.js';
import { trainInWorker } from '../../../src/ml/rl/dqn-worker.js';
import { OBSERVATION_SIZE } from '../../../src/ml/rl/observation.js';
import { pairedSignFlipTest } from '../../../src/ml/rl/paired-test.js';
import { initWeights, QForward, qSpec } from '../../../src/ml/rl/q-network.js';
import { MemoryWriter, type ReplayMemory } from '../../../src/ml/rl/replay-memory.js';
import { parseRlConfig } from '../../../src/ml/rl/rl-config.js';
import { promotionDecision } from '../../../src/ml/rl/self-play-loop.js';

function syntheticMemory(n: number, seed: number): ReplayMemory {
  const random = new Random(seed);
  const w = new MemoryWriter();
  const obs = new Float32Array(OBSERVATION_SIZE);
  const next = new Float32Array(OBSERVATION_SIZE);
  const mask = new Uint8Array(ACTION_COUNT).fill(1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < OBSERVATION_SIZE; j++) {
      obs[j] = random.normal();
      next[j] = random.normal();
    }
    const a = random.int(ACTION_COUNT);
    // Action 1 pays when the first input is positive: something learnable.
    w.push(obs, 0, a, a === 1 ? Math.sign(obs[0] as number) : 0, next, 0, mask, 0, random.next() < 0.1 ? 0 : 0.5);
  }
  return w.finish();
}

describe('Q network', () => {
  it('the JS acting path computes the same Q values as the tfjs training path (dueling and plain)', async () => {
    for (const dueling of [true, false]) {
      const weights = initWeights(qSpec(OBSERVATION_SIZE, [32, 16], dueling), 3);
      const random = new Random(9);
      const n = 7;
      const x = new Float32Array(n * OBSERVATION_SIZE).map(() => random.normal());
      const js = new Float32Array(n * ACTION_COUNT);
      new QForward(weights).run(x, n, js);
      const tfq = await tfQValues(weights, x, n);
      for (let i = 0; i < js.length; i++) expect(js[i]).toBeCloseTo(tfq[i] as number, 4);
    }
  });

  it('training is seeded and reproducible, learns the synthetic reward, and runs the same in a worker thread', async () => {
    const memory = syntheticMemory(2000, 5);
    const weights = initWeights(qSpec(OBSERVATION_SIZE, [32], true), 1);
    const job = { weights, memory, steps: 200, batchSize: 64, learningRate: 0.003, targetUpdate: 50, huberDelta: 1, seed: 11 };
    const a = await runDqnJob(job);
    const b = await runDqnJob(job);
    expect(a.weights.tensors.map((t) => Array.from(t.data))).toEqual(b.weights.tensors.map((t) => Array.from(t.data)));
    const w = await trainInWorker(job);
    expect(w.weights.tensors.map((t) => Array.from(t.data))).toEqual(a.weights.tensors.map((t) => Array.from(t.data)));
    // Action 1 is worth more than 0 where the first input is positive, less where it is negative.
    const x = new Float32Array(2 * OBSERVATION_SIZE);
    x[0] = 2;
    x[OBSERVATION_SIZE] = -2;
    const q = new Float32Array(2 * ACTION_COUNT);
    new QForward(a.weights).run(x, 2, q);
    expect((q[1] as number) - (q[0] as number)).toBeGreaterThan(0.3);
    expect((q[ACTION_COUNT + 1] as number) - (q[ACTION_COUNT] as number)).toBeLessThan(-0.3);
  });
});

describe('paired sign-flip test', () => {
  it('no difference is not significant; a consistent edge is; the margin is subtracted', () => {
    const base = Array.from({ length: 40 }, (_, i) => Math.sin(i) * 0.02);
    expect(pairedSignFlipTest(base, base, 0, 2000, 1).pValue).toBe(1);
    const better = base.map((x, i) => x + 0.002 + 0.001 * Math.cos(i * 7));
    const t = pairedSignFlipTest(better, base, 0, 5000, 1);
    expect(t.meanDiff).toBeCloseTo(0.002, 3);
    expect(t.pValue).toBeLessThan(0.01);
    expect(pairedSignFlipTest(better, base, 0.003, 5000, 1).pValue).toBeGreaterThan(0.5);
    // Two big wins among many small losses: the mean is positive but the test does not call it.
    const lucky = base.map((x, i) => x + (i < 2 ? 0.05 : -0.002));
    expect(pairedSignFlipTest(lucky, base, 0, 5000, 2).pValue).toBeGreaterThan(0.05);
  });
});

describe('promotion gate', () => {
  const loop = parseRlConfig({ loop: { permutations: 5000 } }).loop;
  // Fourteen one-day validation episodes, as the loop plays them (returns of the incumbent).
  const incumbent = Array.from({ length: 14 }, (_, i) => Math.sin(i * 1.7) * 0.01);

  it('refuses a challenger that is not significantly better, even with a higher mean', () => {
    // Better on average by 0.1 pp, but the daily differences swing ±1 pp: luck, not an edge.
    const noisy = incumbent.map((x, i) => x + 0.001 + (i % 2 === 0 ? 0.01 : -0.01));
    const d = promotionDecision(noisy, incumbent, loop, 1, 1);
    expect(d.test.meanDiff).toBeGreaterThan(0);
    expect(d.test.pValue).toBeGreaterThan(0.05);
    expect(d.promoted).toBe(false);
    // The same returns: never promoted.
    expect(promotionDecision(incumbent, incumbent, loop, 1, 1).promoted).toBe(false);
    // Worse: never promoted.
    expect(promotionDecision(incumbent.map((x) => x - 0.002), incumbent, loop, 1, 1).promoted).toBe(false);
  });

  it('promotes a consistent edge, and holds later candidates to alpha / candidates tried', () => {
    // Better on 10 of 14 days, by 0.2 pp on average.
    const edge = incumbent.map((x, i) => x + (i < 10 ? 0.004 : -0.003));
    const first = promotionDecision(edge, incumbent, loop, 1, 1);
    expect(first.alpha).toBe(0.05);
    expect(first.test.pValue).toBeLessThan(0.05);
    expect(first.promoted).toBe(true);
    // The same evidence from the 20th candidate tried must clear 0.0025: it does not.
    const twentieth = promotionDecision(edge, incumbent, loop, 20, 1);
    expect(twentieth.alpha).toBeCloseTo(0.0025, 10);
    expect(twentieth.test.pValue).toBeGreaterThan(0.0025);
    expect(twentieth.promoted).toBe(false);
    // Without the adjustment it would have been promoted: the adjustment is what refused it.
    expect(promotionDecision(edge, incumbent, { ...loop, adjustForTries: false }, 20, 1).promoted).toBe(true);
  });
});

describe('agent model files', () => {
  it('saves and loads the network (model.json + weights.bin + meta.json) and serves it as a strategy', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { saveAgent, loadAgent } = await import('../../../src/ml/rl/agent-model.js');
    const { loadAgentStrategy } = await import('../../../src/ml/rl/agent-strategy.js');
    const { parseConfig } = await import('../../../src/config.js');
    const { setActive } = await import('../../../src/ml/registry.js');
    const dir = mkdtempSync(join(tmpdir(), 'rl-model-'));
    try {
      const weights = initWeights(qSpec(OBSERVATION_SIZE, [8, 4], true), 2);
      const normalizer = { mean: new Array(OBSERVATION_SIZE - 9).fill(0), std: new Array(OBSERVATION_SIZE - 9).fill(1), clip: 5 };
      const meta = { version: 'v3', kind: 'rl-dqn' as const, generation: 3, spec: weights.spec, featureNames: [], positionFeatureNames: [], normalizer, trainedOn: { from: 0, to: 1 }, data: [], rlConfig: {}, engineConfig: {} };
      await saveAgent(join(dir, 'v3'), weights, meta);
      await setActive(dir, 'v3');
      const loaded = await loadAgent(dir);
      expect(loaded.meta.version).toBe('v3');
      expect(loaded.weights.tensors.map((t) => Array.from(t.data))).toEqual(weights.tensors.map((t) => Array.from(t.data)));
      expect(typeof (await loadAgentStrategy(dir, parseConfig({}), 0.001))).toBe('function');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
