import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { saveAgent } from '../../src/ml/rl/agent-model.js';
import { OBSERVATION_SIZE } from '../../src/ml/rl/observation.js';
import { initWeights, qSpec } from '../../src/ml/rl/q-network.js';
import { exitRuleOf, ruleWeights } from '../../src/ml/rl/rule-network.js';
import { saveVersion, setActive } from '../../src/ml/registry.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/ml/feature-vector.js';
import { parseRankerConfig } from '../../src/ml/ranker-config.js';
import { describeSignal, modelSignal } from '../../src/ml/rl/market-signal.js';
import { treeArtifacts, type Tree } from '../../src/ml/tree-model.js';


const DEMO = ['demo', '--hours', '3', '--markets', '4', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0'];

describe('models named by the configuration', () => {
  it('strategy.agent: the saved agent decides instead of the rules, in the same engine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-agent-'));
    const weights = initWeights(qSpec(OBSERVATION_SIZE, [8, 4], true), 5);
    const normalizer = { mean: new Array(OBSERVATION_SIZE - 9).fill(0), std: new Array(OBSERVATION_SIZE - 9).fill(1), clip: 5 };
    await saveAgent(join(dir, 'v1'), weights, { version: 'v1', kind: 'rl-dqn', generation: 1, spec: weights.spec, featureNames: [], positionFeatureNames: [], normalizer, trainedOn: { from: 0, to: 1 }, data: [], rlConfig: {}, engineConfig: {} });
    await setActive(dir, 'v1');
    const rules = mkdtempSync(join(tmpdir(), 'coinrx-rules-'));
    const withAgent = mkdtempSync(join(tmpdir(), 'coinrx-with-agent-'));
    expect(await main([...DEMO, '--out', rules], captureIo().io)).toBe(0);
    const c = captureIo();
    expect(await main([...DEMO, '--out', withAgent, '--set', `strategy.agent=${JSON.stringify(dir)}`], c.io), c.err()).toBe(0);
    const a = JSON.parse(readFileSync(join(rules, 'summary.json'), 'utf8')) as { statistics: { decisions: Record<string, number> } };
    const b = JSON.parse(readFileSync(join(withAgent, 'summary.json'), 'utf8')) as { statistics: { decisions: Record<string, number> }; config: { strategy: { agent: string } } };
    expect(b.config.strategy.agent).toBe(dir);
    expect(b.statistics.decisions).not.toEqual(a.statistics.decisions);
  });

  it('strategy.agent: an agent whose signal is a gbm-rank ranker (ranking with a rule) runs in the engine and reads that signal', async () => {
    // A small boosted-tree ranker (stumps on momentum inputs) that ranks with the volatility rule, saved as `ranker train` does.
    const ranker = mkdtempSync(join(tmpdir(), 'coinrx-gbm-'));
    const stump = (name: string, value: number): Tree => ({ feature: [FEATURE_NAMES.indexOf(name), -1, -1], threshold: [0, 0, 0], left: [1, 0, 0], right: [2, 0, 0], value: [0, -value, value] });
    const trees = [stump('xs_z_mom_10m', 0.8), stump('xs_z_mom_1h', 0.5), stump('ret_vwap_1h', 0.3)];
    expect(trees.every((t) => (t.feature[0] as number) >= 0)).toBe(true);
    const unit = { mean: new Array<number>(FEATURE_COUNT).fill(0), std: new Array<number>(FEATURE_COUNT).fill(1), clip: 5 };
    const span = { from: 0, to: 1 };
    await saveVersion(ranker, treeArtifacts({ features: FEATURE_COUNT, trees, time: { w: new Array<number>(FEATURE_COUNT).fill(0), b: 0 } }), { createdAt: '', kind: 'gbm-rank', backend: 'cpu', featureNames: FEATURE_NAMES, sequenceLength: 6, normalizer: unit, calibration: { a: 1, b: 0, center: 0, scale: 1 }, baseRate: 0.4, config: parseRankerConfig({}), data: { paths: [], files: [], firstTs: 0, lastTs: 1 }, spans: { train: span, validation: span, testFrom: 1 }, ranksWith: 'volatility rule', metrics: {} });
    const signal = await modelSignal(ranker);
    expect(describeSignal(signal)).toMatch(/a gbm-rank: its calibrated P\(.*\); the version ranks with the volatility rule .* the signal still reads the model's probability/);
    // The edge rule as the network (generation 0 of agent train): it buys only where the signal's expected value is positive.
    const weights = ruleWeights(qSpec(OBSERVATION_SIZE, [8, 4], true), exitRuleOf(signal), 5);
    const normalizer = { mean: new Array(OBSERVATION_SIZE - 9).fill(0), std: new Array(OBSERVATION_SIZE - 9).fill(1), clip: 5 };
    const base = { version: 'v1', kind: 'rl-dqn' as const, generation: 0, spec: weights.spec, featureNames: [], positionFeatureNames: [], normalizer, trainedOn: { from: 0, to: 1 }, data: [], rlConfig: { actions: { candidates: true, minEdge: 0 } }, engineConfig: {} };
    const plain = mkdtempSync(join(tmpdir(), 'coinrx-agent-'));
    const signalled = mkdtempSync(join(tmpdir(), 'coinrx-agent-signal-'));
    await saveAgent(join(plain, 'v1'), weights, base);
    await saveAgent(join(signalled, 'v1'), weights, { ...base, signal });
    const run = async (agent: string): Promise<Record<string, number>> => {
      // Long enough for the features to warm up and the agent to act.
      const out = mkdtempSync(join(tmpdir(), 'coinrx-with-agent-'));
      const c = captureIo();
      expect(await main(['demo', '--hours', '24', ...DEMO.slice(3), '--out', out, '--set', `strategy.agent=${JSON.stringify(join(agent, 'v1'))}`], c.io), c.err()).toBe(0);
      return (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { statistics: { decisions: Record<string, number> } }).statistics.decisions;
    };
    // Without the signal no market has an edge and the rule never buys; with the ranker's it does.
    expect(await run(plain)).toEqual({});
    const decisions = await run(signalled);
    expect(decisions.BUY ?? 0, JSON.stringify(decisions)).toBeGreaterThan(0);
  });

  it('ranking.model: a version ranking with the volatility rule says so at start, and the rule ranks (not its network)', async () => {
    const stump = (name: string, value: number): Tree => ({ feature: [FEATURE_NAMES.indexOf(name), -1, -1], threshold: [0, 0, 0], left: [1, 0, 0], right: [2, 0, 0], value: [0, -value, value] });
    const unit = { mean: new Array<number>(FEATURE_COUNT).fill(0), std: new Array<number>(FEATURE_COUNT).fill(1), clip: 5 };
    const span = { from: 0, to: 1 };
    // Two opposite networks (momentum up, momentum down), each saved ranking with the rule and with the network.
    const save = async (sign: number, ranksWith: 'model' | 'volatility rule'): Promise<string> => {
      const dir = mkdtempSync(join(tmpdir(), 'coinrx-gbm-'));
      const trees = [stump('xs_z_mom_10m', 0.8 * sign), stump('xs_z_mom_1h', 0.5 * sign)];
      await saveVersion(dir, treeArtifacts({ features: FEATURE_COUNT, trees, time: { w: new Array<number>(FEATURE_COUNT).fill(0), b: 0 } }), { createdAt: '', kind: 'gbm-rank', backend: 'cpu', featureNames: FEATURE_NAMES, sequenceLength: 6, normalizer: unit, calibration: { a: 1, b: 0, center: 0, scale: 1 }, baseRate: 0.4, config: parseRankerConfig({}), data: { paths: [], files: [], firstTs: 0, lastTs: 1 }, spans: { train: span, validation: span, testFrom: 1 }, ranksWith, metrics: {} });
      return dir;
    };
    const run = async (model: string): Promise<{ err: string; trades: string }> => {
      const out = mkdtempSync(join(tmpdir(), 'coinrx-ranked-'));
      const c = captureIo();
      expect(await main(['demo', '--hours', '24', '--markets', '12', ...DEMO.slice(5), '--out', out, '--set', 'allocation.maxPositions=2', '--set', `ranking.model=${JSON.stringify(model)}`], c.io), c.err()).toBe(0);
      return { err: c.err(), trades: readFileSync(join(out, 'trades.csv'), 'utf8') };
    };
    const ruleUp = await save(1, 'volatility rule');
    const up = await run(ruleUp);
    expect(up.err).toContain(`demo: ${ruleUp} ranks with the volatility rule (training did not show the network better on validation; docs/ranker.md)\n`);
    expect(up.trades.split('\n').length).toBeGreaterThan(3);
    // The rule ranks: the opposite network changes nothing, whereas ranking with the networks trades differently.
    expect((await run(await save(-1, 'volatility rule'))).trades).toBe(up.trades);
    const netUp = await run(await save(1, 'model'));
    expect(netUp.err).not.toContain('ranks with');
    expect(netUp.trades).not.toBe((await run(await save(-1, 'model'))).trades);
  });

  it('a missing model or agent fails at start naming the field', async () => {
    for (const field of ['strategy.agent', 'ranking.model']) {
      const c = captureIo();
      expect(await main([...DEMO, '--set', `${field}="/nonexistent/model"`], c.io)).toBe(2);
      expect(c.err()).toMatch(new RegExp(`${field.replace('.', '\\.')}: cannot load the (agent|model) at "/nonexistent/model"`));
    }
  });
});
