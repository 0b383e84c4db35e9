import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../src/ml/feature-vector.js';
import { loadVersion } from '../../src/ml/registry.js';
import { loadAgent } from '../../src/ml/rl/agent-model.js';
import { OBSERVATION_SIZE } from '../../src/ml/rl/observation.js';

/** A model or agent saved by an older build (other inputs) is refused by name, not misread or failed inside tfjs. */
describe('models from an older build', () => {
  const dirs: string[] = [];
  const dir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'coinrx-stale-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('a ranker trained on other features says so and how to fix it', async () => {
    const d = await dir();
    await writeFile(join(d, 'meta.json'), JSON.stringify({ version: 'v1', featureNames: FEATURE_NAMES.slice(0, 29) }));
    await expect(loadVersion(d)).rejects.toThrow(`trained on other features (29 inputs) than this build computes (${FEATURE_NAMES.length}): train it again`);
  });

  it('an agent trained on another observation says so and how to fix it', async () => {
    const d = await dir();
    await writeFile(join(d, 'meta.json'), JSON.stringify({ version: 'v1', kind: 'rl-dqn', spec: { inputs: 38, hidden: [8], actions: 5, dueling: true } }));
    await expect(loadAgent(d)).rejects.toThrow(`trained on another observation (38 inputs) than this build computes (${OBSERVATION_SIZE}): train it again`);
  });
});
