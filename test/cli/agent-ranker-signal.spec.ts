/**
 * `coinrx agent train` with `ranking.model` naming a ranker version of a kind other than the MLP (here
 * gbm-rank, ranking with a rule): the agent's signal loads it through the registry and says in one line
 * what it reads. It used to refuse every version that was not an MLP.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/ml/feature-vector.js';
import { parseRankerConfig } from '../../src/ml/ranker-config.js';
import { saveVersion } from '../../src/ml/registry.js';
import { treeArtifacts, type Tree } from '../../src/ml/tree-model.js';
import { captureIo } from '../helpers/capture-io.js';
import { writeSineCandles } from '../helpers/sine-candles.js';
import { waitFor } from '../helpers/wait-for.js';

/** A boosted-tree ranker version (stumps on momentum inputs) whose rule check fell back to the volatility rule. */
async function gbmRanker(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'coinrx-gbm-ranker-'));
  const stump = (name: string, value: number): Tree => ({ feature: [FEATURE_NAMES.indexOf(name), -1, -1], threshold: [0, 0, 0], left: [1, 0, 0], right: [2, 0, 0], value: [0, -value, value] });
  const trees = [stump('xs_z_mom_10m', 0.8), stump('xs_z_mom_1h', 0.5)];
  const unit = { mean: new Array<number>(FEATURE_COUNT).fill(0), std: new Array<number>(FEATURE_COUNT).fill(1), clip: 5 };
  const span = { from: 0, to: 1 };
  const config = parseRankerConfig({ label: { target: 0.03, stop: 0.015, horizon: '6h' }, train: { models: ['gbm-rank'] } });
  await saveVersion(root, treeArtifacts({ features: FEATURE_COUNT, trees, time: { w: new Array<number>(FEATURE_COUNT).fill(0), b: 0 } }), { createdAt: '', kind: 'gbm-rank', backend: 'cpu', featureNames: FEATURE_NAMES, sequenceLength: 6, normalizer: unit, calibration: { a: 1, b: 0, center: 0, scale: 1 }, baseRate: 0.4, config, data: { paths: [], files: [], firstTs: 0, lastTs: 1 }, spans: { train: span, validation: span, testFrom: 1 }, ranksWith: 'volatility rule', metrics: {} });
  return root;
}

describe('coinrx agent train with a gbm-rank ranker as the signal', () => {
  it('loads the version and says the signal reads its calibrated probability although it ranks with the rule', async () => {
    const data = writeSineCandles('coinrx-agent-signal-');
    const ranker = await gbmRanker();
    const out = mkdtempSync(join(tmpdir(), 'coinrx-agent-signal-out-'));
    const c = captureIo();
    const run = main(['agent', 'train', '--data', data, '--until', '2024-01-12', '--rl', 'loop.validationDays=2', '--set', 'features.every=5m', '--set', `ranking.model=${JSON.stringify(ranker)}`, '--out', out], c.io);
    await waitFor(() => c.err().includes('signal:') || c.err().includes('Run "coinrx'), 'the signal line', 30_000).catch((e: unknown) => { throw new Error(`${String(e)}: ${c.err()}`); });
    c.controller.abort();
    await run;
    expect(c.err()).toContain(`signal: the ranker model ${join(ranker, 'v1')}, a gbm-rank: its calibrated P(+3 % before −1.5 % net within 6 h); the version ranks with the volatility rule (it beat the model on validation), the signal still reads the model's probability`);
  }, 60_000);
});
