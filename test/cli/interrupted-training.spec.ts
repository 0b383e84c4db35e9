/** Ctrl-C in the middle of training: a stop the user asked for, exit 130, one line, and no model version saved. */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

describe('ranker train stopped by Ctrl-C', () => {
  it('says it was stopped, exits 130 and leaves no version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-interrupted-'));
    for (const coin of ['AAA', 'BBB', 'CCC']) {
      const rows = Array.from({ length: 20 * 288 }, (_, i) => `${Date.UTC(2024, 0, 1) + i * 300_000},100,101,99,${100 + ((i * 7 + coin.charCodeAt(0)) % 13) / 10},10`);
      writeFileSync(join(dir, `${coin}_USDT-5m.csv`), `timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`);
    }
    const run = captureIo();
    // Ctrl-C once the dataset is built, while the network trains (200 epochs: far longer than the poll).
    const poll = setInterval(() => run.err().includes('dataset:') && run.controller.abort(), 5);
    const out = join(dir, 'models');
    const code = await main(['ranker', 'train', '--data', dir, '--ranker-config', '{"train":{"models":["mlp"],"epochs":200,"patience":200},"split":{"folds":1,"validation":"3d","minTrain":"5d"}}', '--out', out], run.io);
    clearInterval(poll);
    expect(code, run.err()).toBe(130);
    expect(run.err().trim().split('\n').at(-1)).toBe('coinrx ranker: stopped (Ctrl-C): training interrupted');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  }, 60_000);
});
