/** `--out` naming a file where a command writes a folder (or a folder where report writes a file): one line at start, naming it. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'coinrx-out-file-'));
const data = join(dir, 'data');
mkdirSync(data);
for (const coin of ['AAA', 'BBB']) {
  writeFileSync(join(data, `${coin}_USDT-5m.csv`), `timestamp,open,high,low,close,volume\n${Array.from({ length: 3 * 288 }, (_, i) => `${Date.UTC(2024, 0, 1) + i * 300_000},100,101,99,${100 + (i % 5)},10`).join('\n')}\n`);
}
const file = join(dir, 'notes.txt');
writeFileSync(file, 'not a folder\n');
const space = join(dir, 'space.json');
writeFileSync(space, '{ "strategy.takeProfit": { "min": 0.01, "max": 0.05 } }\n');

describe('--out is a file in the way', () => {
  it.each([
    [['ranker', 'train', '--data', data]],
    [['ranker', 'evaluate', '--data', data, '--model', join(dir, 'models')]],
    [['ranker', 'walk-forward', '--data', data]],
    [['agent', 'train', '--data', data, '--until', '2024-01-02']],
    [['optimize', '--data', data, '--space', space, '--trials', '2']],
  ])('%j', async (args) => {
    const run = captureIo();
    expect(await main([...args, '--out', file], run.io)).toBe(1);
    const errors = run.err().trim().split('\n').filter((l) => l.startsWith('coinrx '));
    expect(errors).toEqual([`coinrx ${args[0]}: --out ${file}: cannot make the folder ${file} (a file is in the way)`]);
  });

  it('report --out naming a folder', async () => {
    const run = captureIo();
    expect(await main(['report', data, '--out', dir], run.io)).toBe(1);
    expect(run.err().trim()).toBe(`coinrx report: --out ${dir}: is a folder; name a file`);
  });
});
