/**
 * Zip archives of one file, as Binance publishes its data (data.binance.vision: `BTCUSDT-5m-2021-01.zip`,
 * `BTCUSDT-trades-2024-08-08.zip`, each beside a `.CHECKSUM`): read as the file they hold, deflated or stored,
 * with the sizes in the header or after the data; refused with the reason when they hold several files or
 * are cut short. The archives are made here (test/helpers/zip-archive.ts) from real candles and trades.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { estimateRecords } from '../../src/cli/input-records-estimate.js';
import { openReplay, readAll, ReplayFileError } from '../../src/market-data/index.js';
import { captureIo } from '../helpers/capture-io.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';
import { zipArchive } from '../helpers/zip-archive.js';

const CANDLES = 'binance-spot-2021-5m';

/** The shared freqtrade candles of `coin` as Binance's klines (no header, twelve columns, open time in ms). */
function klines(coin: string): string {
  const rows = gunzipSync(readFileSync(sharedData('candles', CANDLES, `${coin}_USDT-5m.csv.gz`))).toString('utf8').trim().split('\n').slice(1);
  return `${rows.map((r) => {
    const [t, o, h, l, c, v] = r.split(',') as [string, string, string, string, string, string];
    return `${t},${o},${h},${l},${c},${v},${Number(t) + 299_999},${(Number(c) * Number(v)).toFixed(4)},100,${v},${Number(c) * Number(v)},0`;
  }).join('\n')}\n`;
}

describe.skipIf(skipWithoutSharedData())('zip archives (Binance public data)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-zip-'));

  it('reads the file a zip holds, deflated or stored, sizes before or after the data, as the file itself', async () => {
    const text = klines('BTC');
    const plain = join(dir, 'plain', 'BTCUSDT-5m-2021-01.csv');
    mkdirSync(join(dir, 'plain'));
    writeFileSync(plain, text);
    const expected = await readAll([plain]);
    expect(expected.events.length).toBeGreaterThan(25_000);
    for (const [what, options] of [['deflated', { method: 8 }], ['stored', { method: 0 }], ['deflated, written as a stream', { method: 8, streamed: true }]] as const) {
      const sub = join(dir, what.replace(/\W+/g, '-'));
      mkdirSync(sub);
      const file = join(sub, 'BTCUSDT-5m-2021-01.zip');
      writeFileSync(file, zipArchive([{ name: 'BTCUSDT-5m-2021-01.csv', data: text }], options));
      const got = await readAll([file]);
      expect(got.stats.files[0], what).toMatchObject({ format: 'candles-csv', market: 'BTC/USDT', malformed: 0, done: true });
      expect(got.events, what).toEqual(expected.events);
    }
  });

  it('reads a folder of zips beside their .CHECKSUM files, trades and candles, and estimates their records', async () => {
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    const trades = gunzipSync(readFileSync(sharedData('trades', 'binance-2024-08-08-trades.csv.gz'))).toString('utf8').trim().split('\n').slice(1)
      .map((l) => l.split(','))
      .filter((r) => r[0] === 'spot' && r[1] === 'ETHUSDT')
      .map((r) => `${r[4]},${r[5]},${r[6]},${(Number(r[5]) * Number(r[6])).toFixed(8)},${r[2]},${r[8] === 'true' ? 'True' : 'False'},True`);
    for (const [name, data] of [['ETHUSDT-trades-2024-08-08', `${trades.join('\n')}\n`], ['ETHUSDT-5m-2021-01', klines('ETH')]] as const) {
      writeFileSync(join(folder, `${name}.zip`), zipArchive([{ name: `${name}.csv`, data }]));
      writeFileSync(join(folder, `${name}.zip.CHECKSUM`), `0123456789abcdef  ${name}.zip\n`);
    }
    const { events, stats } = await readAll([folder]);
    expect(stats.files.map((f) => [f.file.split('/').pop(), f.format, f.market, f.events])).toEqual([
      ['ETHUSDT-5m-2021-01.zip', 'candles-csv', 'ETH/USDT', klines('ETH').trim().split('\n').length],
      ['ETHUSDT-trades-2024-08-08.zip', 'binance-vision-trades-csv', 'ETH/USDT', trades.length],
    ]);
    expect(events).toHaveLength(stats.events);
    const estimated = await estimateRecords(join(folder, 'ETHUSDT-trades-2024-08-08.zip'));
    expect(Math.abs((estimated as number) / trades.length - 1)).toBeLessThan(0.05);
  });

  it('refuses a zip of several files, and one cut short says so (its rows before the cut kept with --skip-broken-files)', async () => {
    const several = join(dir, 'several', 'BTCUSDT-5m-2021-01.zip');
    mkdirSync(join(dir, 'several'));
    writeFileSync(several, zipArchive([{ name: 'BTCUSDT-5m-2021-01.csv', data: klines('BTC') }, { name: 'ETHUSDT-5m-2021-01.csv', data: klines('ETH') }]));
    await expect(readAll([several])).rejects.toThrow(/BTCUSDT-5m-2021-01\.zip: a zip archive of 2 files: coinrx reads a zip that holds one file; unzip it/);

    const whole = zipArchive([{ name: 'BTCUSDT-5m-2021-01.csv', data: klines('BTC') }]);
    const cut = join(dir, 'cut', 'BTCUSDT-5m-2021-01.zip');
    mkdirSync(join(dir, 'cut'));
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const error = await readAll([cut]).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayFileError);
    expect((error as ReplayFileError).message).toMatch(/BTCUSDT-5m-2021-01\.zip: truncated zip \(zip read failed\)/);
    expect((error as ReplayFileError).partWay).toBe(true);
    // A stored member cut short is a truncated zip too, not a shorter file.
    const stored = zipArchive([{ name: 'BTCUSDT-5m-2021-01.csv', data: klines('BTC') }], { method: 0 });
    const cutStored = join(dir, 'cut', 'ETHUSDT-5m-2021-01.zip');
    writeFileSync(cutStored, stored.subarray(0, Math.floor(stored.length / 2)));
    await expect(readAll([cutStored])).rejects.toThrow(/ETHUSDT-5m-2021-01\.zip: truncated zip \(zip read failed\)/);
    const replay = openReplay([cut], { onFileError: 'count' });
    let read = 0;
    for await (const batch of replay.batches()) read += batch.length;
    expect(read).toBeGreaterThan(1000);
    expect(read).toBeLessThan(klines('BTC').trim().split('\n').length);
  });

  it('a backtest of zipped klines trades as one of the same candles gzipped', async () => {
    const zips = join(dir, 'zips');
    const gz = join(dir, 'gz');
    mkdirSync(zips);
    mkdirSync(gz);
    for (const coin of ['BTC', 'ETH', 'SOL']) {
      writeFileSync(join(zips, `${coin}USDT-5m-2021-01.zip`), zipArchive([{ name: `${coin}USDT-5m-2021-01.csv`, data: klines(coin) }]));
      writeFileSync(join(gz, `${coin}_USDT-5m.csv.gz`), readFileSync(sharedData('candles', CANDLES, `${coin}_USDT-5m.csv.gz`)));
    }
    const summaries: string[] = [];
    for (const data of [zips, gz]) {
      const out = join(dir, `out-${data.split('/').pop()}`);
      const c = captureIo();
      expect(await main(['backtest', '--data', data, '--config', 'config/backtest-candles.json', '--out', out], c.io), c.err()).toBe(0);
      summaries.push(readFileSync(join(out, 'trades.csv'), 'utf8'), readFileSync(join(out, 'equity.csv'), 'utf8'));
    }
    // Trades were made (a header line and more), and the same ones.
    expect((summaries[0] as string).trim().split('\n').length).toBeGreaterThan(2);
    expect(summaries[0]).toBe(summaries[2]);
    expect(summaries[1]).toBe(summaries[3]);
  });
});
