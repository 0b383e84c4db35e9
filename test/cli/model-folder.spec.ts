/** A `--model` that is not a model folder (missing, a file, a folder of something else) is one line naming it. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'coinrx-model-folder-'));
const data = join(dir, 'BTC_USDT-5m.csv');
writeFileSync(data, `timestamp,open,high,low,close,volume\n${Array.from({ length: 50 }, (_, i) => `${Date.UTC(2024, 0, 1) + i * 300_000},100,101,99,100,10`).join('\n')}\n`);
const file = join(dir, 'model.json');
writeFileSync(file, '{}\n');
const other = join(dir, 'backtest-out');
mkdirSync(other);
writeFileSync(join(other, 'summary.json'), '{}\n');

describe('ranker --model that is no model folder', () => {
  it.each([
    ['a folder that does not exist', join(dir, 'no-such-models'), /no-such-models: no such model folder \(coinrx ranker train and agent train --out write them\)$/],
    ['a file', file, /model\.json: a file, not a model folder/],
    ["another command's folder", other, /backtest-out holds no model version \(expected meta\.json or version folders v1, v2, …; coinrx ranker train and agent train --out write them\)$/],
  ])('%s', async (_name, model, message) => {
    for (const command of ['rank', 'evaluate']) {
      const run = captureIo();
      expect(await main(['ranker', command, '--data', data, '--model', model, '--out', join(dir, `out-${command}`)], run.io), command).toBe(1);
      const lines = run.err().trim().split('\n');
      expect(lines, command).toHaveLength(1);
      expect(lines[0], command).toMatch(/^coinrx ranker: /);
      expect(lines[0], command).toMatch(message);
    }
  });

  it('agent evaluate: a missing folder, and a ranker model, are one line too', async () => {
    const ranker = join(dir, 'ranker-models', 'v1');
    mkdirSync(ranker, { recursive: true });
    writeFileSync(join(ranker, 'meta.json'), '{ "version": "v1", "kind": "mlp" }\n');
    for (const [model, message] of [
      [join(dir, 'no-such-agent'), /no-such-agent: no such model folder \(coinrx ranker train and agent train --out write them\)$/],
      [join(dir, 'ranker-models'), /v1 is not an RL agent \(kind mlp: a ranker model, for ranker evaluate and ranking\.model; an agent is what coinrx agent train --out writes\)$/],
    ] as const) {
      const run = captureIo();
      expect(await main(['agent', 'evaluate', '--data', data, '--model', model, '--out', join(dir, 'out-agent')], run.io)).toBe(1);
      const errors = run.err().trim().split('\n').filter((l) => l.startsWith('coinrx '));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(message);
    }
  });
});
