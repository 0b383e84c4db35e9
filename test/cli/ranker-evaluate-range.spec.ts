/** ranker evaluate with a --from past the data's end: one line saying where the data lies, as a backtest says it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

describe('ranker evaluate and train with a range after the data', () => {
  it('is refused naming the range and the data span', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-evaluate-range-'));
    for (const coin of ['AAA', 'BBB', 'CCC']) {
      const rows = Array.from({ length: 20 * 288 }, (_, i) => `${Date.UTC(2024, 0, 1) + i * 300_000},100,101,99,${100 + ((i * 7 + coin.charCodeAt(0)) % 13) / 10},10`);
      writeFileSync(join(dir, `${coin}_USDT-5m.csv`), `timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`);
    }
    const models = join(dir, 'models');
    const train = captureIo();
    expect(await main(['ranker', 'train', '--data', dir, '--ranker-config', '{"train":{"models":["mlp"],"epochs":1},"split":{"folds":1,"validation":"3d","minTrain":"5d"}}', '--out', models], train.io), train.err()).toBe(0);
    const run = captureIo();
    expect(await main(['ranker', 'evaluate', '--data', dir, '--model', models, '--from', '2024-03-01', '--no-backtest', '--out', join(dir, 'evaluation')], run.io)).toBe(1);
    const errors = run.err().trim().split('\n').filter((l) => l.startsWith('coinrx '));
    expect(errors).toEqual(['coinrx ranker: no event of the data falls in the time range (2024-03-01T00:00:00.000Z to end); the data starts 2024-01-01T00:05:00.000Z and was read up to 2024-01-21T00:00:00.000Z']);
  }, 60_000);

  it('ranker train with a range the data never reaches is refused the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-train-range-'));
    writeFileSync(join(dir, 'AAA_USDT-5m.csv'), `timestamp,open,high,low,close,volume\n${Array.from({ length: 288 }, (_, i) => `${Date.UTC(2024, 0, 1) + i * 300_000},100,101,99,100,10`).join('\n')}\n`);
    for (const [range, shown] of [[['--from', '2024-03-01'], '2024-03-01T00:00:00.000Z to end'], [['--to', '2023-12-30'], 'start to 2023-12-31T00:00:00.000Z']] as const) {
      // The reader stops one label horizon past --to: before the data's start it reads nothing.
      const run = captureIo();
      expect(await main(['ranker', 'train', '--data', dir, ...range, '--out', join(dir, 'models')], run.io)).toBe(1);
      const where = range[0] === '--from' ? 'the data starts 2024-01-01T00:05:00.000Z and was read up to 2024-01-02T00:00:00.000Z' : "the data starts after it (nothing was read before the range's end)";
      expect(run.err().trim().split('\n').filter((l) => l.startsWith('coinrx '))).toEqual([`coinrx ranker: no event of the data falls in the time range (${shown}); ${where}`]);
    }
  });
});
