import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { saveAgent } from '../../../src/ml/rl/agent-model.js';
import { OBSERVATION_SIZE } from '../../../src/ml/rl/observation.js';
import { initWeights, qSpec } from '../../../src/ml/rl/q-network.js';
import { setActive } from '../../../src/ml/registry.js';
import { sharedData, skipWithoutSharedData } from '../../helpers/shared-data.js';

const files = ['BTC', 'ETH', 'ADA', 'DOGE', 'LINK', 'XRP'].map((c) => sharedData('candles/binance-spot-2021-5m', `${c}_USDT-5m.csv.gz`));

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr, interactive: false, env: {}, signal: new AbortController().signal }, out: () => out, err: () => err };
}

describe.skipIf(skipWithoutSharedData())('coinrx agent evaluate', () => {
  it('evaluates on another era than the training one, warm-up first, with paired daily intervals against every policy; refuses an overlapping span', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-eval-'));
    try {
      // An (untrained) agent said to be trained on 20 Jan … 1 Feb 2021: data from the first days of January is another era.
      const weights = initWeights(qSpec(OBSERVATION_SIZE, [8], true), 2);
      const normalizer = { mean: new Array(OBSERVATION_SIZE - 9).fill(0), std: new Array(OBSERVATION_SIZE - 9).fill(1), clip: 5 };
      const trainedOn = { from: Date.UTC(2021, 0, 20), to: Date.UTC(2021, 1, 1) };
      await saveAgent(join(dir, 'models', 'v1'), weights, { version: 'v1', kind: 'rl-dqn', generation: 1, spec: weights.spec, featureNames: [], positionFeatureNames: [], normalizer, trainedOn, data: [], rlConfig: {}, engineConfig: {} });
      await setActive(join(dir, 'models'), 'v1');

      const ok = io();
      const code = await main(['agent', 'evaluate', '--data', ...files, '--model', dir, '--to', '2021-01-04', '--out', join(dir, 'eval')], ok.io);
      expect(ok.err()).not.toMatch(/overlaps/);
      expect(code, ok.err()).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, 'eval', 'evaluation.json'), 'utf8')) as {
        span: { from: number; to: number };
        rows: { policy: string }[];
        dailyReturns: Record<string, number[]>;
        comparisons: { against: string; interval: { n: number; low: number; high: number; verdict: string } }[];
      };
      // The first day of 5m batches warms the features up; decisions start after it.
      expect(report.span.from).toBeGreaterThanOrEqual(Date.UTC(2021, 0, 2));
      expect(report.span.to).toBeLessThanOrEqual(Date.UTC(2021, 0, 5));
      expect(report.comparisons.map((c) => c.against)).toEqual(report.rows.slice(1).map((r) => r.policy));
      expect(report.comparisons.map((c) => c.against)).toEqual(['cash', 'buy-and-hold (pool, equal weight)', 'rule-based ranker (triple barrier)', 'random policy (uniform valid actions)']);
      const days = Math.floor((report.span.to - 1) / 86_400_000) - Math.floor(report.span.from / 86_400_000) + 1;
      for (const [policy, daily] of Object.entries(report.dailyReturns)) expect(daily, policy).toHaveLength(days);
      expect(report.dailyReturns['cash']).toEqual(new Array(days).fill(0));
      for (const c of report.comparisons) expect(c.interval.n).toBe(days), expect(c.interval.low).toBeLessThanOrEqual(c.interval.high);
      expect(ok.out()).toMatch(/does the agent beat each policy/);
      expect(ok.out()).toMatch(/in short: the agent (beats|loses to|is not shown to beat) cash and (beats|loses to|is not shown to beat) the rule strategy/);

      const bad = io();
      expect(await main(['agent', 'evaluate', '--data', ...files, '--model', dir, '--from', '2021-01-25', '--to', '2021-01-28', '--out', join(dir, 'eval2')], bad.io)).toBe(2);
      expect(bad.err()).toMatch(/overlaps the span the agent was trained and selected on/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('an agent that stays in cash is told so, as a correct result, not as a failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-eval-cash-'));
    try {
      // HOLD (action 0) wins every market at every batch: the agent never trades.
      const weights = initWeights(qSpec(OBSERVATION_SIZE, [8], true), 2);
      const bias = weights.tensors.find((t) => t.name === 'advantage/bias')!;
      bias.data[0] = 1000;
      const normalizer = { mean: new Array(OBSERVATION_SIZE - 9).fill(0), std: new Array(OBSERVATION_SIZE - 9).fill(1), clip: 5 };
      const trainedOn = { from: Date.UTC(2021, 0, 20), to: Date.UTC(2021, 1, 1) };
      await saveAgent(join(dir, 'models', 'v1'), weights, { version: 'v1', kind: 'rl-dqn', generation: 1, spec: weights.spec, featureNames: [], positionFeatureNames: [], normalizer, trainedOn, data: [], rlConfig: {}, engineConfig: {} });
      await setActive(join(dir, 'models'), 'v1');
      const ok = io();
      expect(await main(['agent', 'evaluate', '--data', ...files, '--model', dir, '--to', '2021-01-04', '--out', join(dir, 'eval')], ok.io), ok.err()).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, 'eval', 'evaluation.json'), 'utf8')) as { rows: { policy: string; trades: number }[]; conclusion: string; comparisons: { against: string; interval: { mean: number } }[] };
      expect(report.rows[0]?.trades).toBe(0);
      expect(report.comparisons.find((c) => c.against === 'cash')?.interval.mean).toBe(0);
      expect(report.conclusion).toMatch(/^the agent stayed in cash over the whole span \(0 trades\): where no trade pays after costs that is a correct result; it matches cash and (beats|loses to|is not shown to beat) the rule strategy$/);
      expect(ok.out()).toContain(`in short: ${report.conclusion}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
