/**
 * A named pipe (or socket, or device) among a folder's files: it was taken for a data file and opened, and
 * opening a pipe that no one writes to waits forever, so `coinrx backtest --data <dir>` hung before its
 * first event (SIGTERM did not end it). Only regular files are data: a pipe in a folder is passed over,
 * one named on its own is refused with the reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAll } from '../../src/market-data/index.js';

describe.skipIf(process.platform === 'win32')('pipes among the data files', () => {
  it('are passed over in a folder and refused when named, never waited on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-special-files-'));
    const t = Date.UTC(2015, 9, 1);
    writeFileSync(join(dir, 'BTC_EUR-1h.csv'), `timestamp,open,high,low,close,volume\n${t},220,230,210,225,3\n${t + 3_600_000},225,231,220,228,4\n`);
    execFileSync('mkfifo', [join(dir, 'BTC_EUR-1h.pipe')]);
    const { events, stats } = await readAll([dir]);
    expect(events.map((e) => e.ts)).toEqual([t + 3_600_000, t + 7_200_000]);
    expect(stats.files.map((f) => f.file)).toEqual([join(dir, 'BTC_EUR-1h.csv')]);
    await expect(readAll([join(dir, 'BTC_EUR-1h.pipe')])).rejects.toThrow(/BTC_EUR-1h\.pipe: not a regular file \(a pipe, socket or device\)/);
  }, 10_000);
});
