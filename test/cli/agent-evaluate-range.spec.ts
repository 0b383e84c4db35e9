/** agent evaluate with a --from past the data's end: one line saying where the data lies (was a message about the features' warm-up). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { writeSineCandles } from '../helpers/sine-candles.js';

describe('agent evaluate --from after the data', () => {
  it('is refused naming the range and the data span', async () => {
    const data = writeSineCandles('coinrx-agent-eval-range-');
    const out = mkdtempSync(join(tmpdir(), 'coinrx-agent-eval-range-out-'));
    const train = captureIo();
    expect(await main(['agent', 'train', '--data', data, '--until', '2024-01-08', '--generations', '1', '--rl', 'loop.validationDays=2', '--rl', 'agent.trainSteps=50', '--rl', 'loop.trainEpisodes=2', '--rl', 'loop.validationEpisodes=2', '--set', 'features.every=5m', '--out', join(out, 'agent')], train.io), train.err()).toBe(0);
    const run = captureIo();
    expect(await main(['agent', 'evaluate', '--data', data, '--model', join(out, 'agent'), '--from', '2024-06-01', '--set', 'features.every=5m', '--out', join(out, 'evaluation')], run.io)).toBe(1);
    const errors = run.err().trim().split('\n').filter((l) => l.startsWith('coinrx '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^coinrx agent: no event of the data falls in the time range \(2024-06-01T00:00:00\.000Z to end\); the data starts 2024-01-01T\S+ and was read up to 2024-01-\d\dT/);
  }, 60_000);
});
