import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { saveAgent } from '../../src/ml/rl/agent-model.js';
import { OBSERVATION_SIZE } from '../../src/ml/rl/observation.js';
import { initWeights, qSpec } from '../../src/ml/rl/q-network.js';
import { setActive } from '../../src/ml/registry.js';


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

  it('a missing model or agent fails at start naming the field', async () => {
    for (const field of ['strategy.agent', 'ranking.model']) {
      const c = captureIo();
      expect(await main([...DEMO, '--set', `${field}="/nonexistent/model"`], c.io)).toBe(2);
      expect(c.err()).toMatch(new RegExp(`${field.replace('.', '\\.')}: cannot load the (agent|model) at "/nonexistent/model"`));
    }
  });
});
