/**
 * A recording cut short (a crash while it was written, a download that stopped): the gzip ends
 * part-way. By default the run stops and names the file, saying how to go on; with
 * `--skip-broken-files` every complete record before the fault is used, the cut record is not read as
 * one (its last number would be a prefix of the real one), the other files are read whole, and the
 * file is named at the end and in summary.json. A file of a folder that gives nothing at all (empty, a
 * header alone) while the others give events is named in a warning too.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

const ROWS = 3_000;

function candles(rows: number, base: number): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  // Volumes with many digits, so a cut inside one leaves a shorter number that still parses.
  for (let i = 0; i < rows; i++) lines.push(`${Date.UTC(2024, 0, 1) + i * 300_000},${base},${base + 1},${base - 1},${base + (i % 7) / 10},${123_456.789 + i}`);
  return `${lines.join('\n')}\n`;
}

/** What a gzip prefix yields before its fault, as the text a reader can get out of it. */
function readablePrefix(gz: Buffer): string {
  return gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
}

/** The longest prefix of `gz`, cut past its middle, whose readable text ends inside a row's last number. */
function cutInsideANumber(gz: Buffer): { cut: Buffer; completeRows: number } {
  for (let end = Math.floor(gz.length * 0.6); end > gz.length / 3; end--) {
    const cut = gz.subarray(0, end);
    const text = readablePrefix(cut);
    const tail = text.slice(text.lastIndexOf('\n') + 1);
    // The tail: a whole row but for its last number's end, which would parse as a smaller volume.
    if (/^\d+,[\d.]+,[\d.]+,[\d.]+,[\d.]+,\d{2,}$/.test(tail)) return { cut, completeRows: text.split('\n').length - 2 };
  }
  throw new Error('no cut inside a number found');
}

const dir = mkdtempSync(join(tmpdir(), 'coinrx-broken-files-'));
const data = join(dir, 'data');
mkdirSync(data);
writeFileSync(join(data, 'ETH_USDT-5m.csv.gz'), gzipSync(candles(ROWS, 2000)));
const broken = cutInsideANumber(gzipSync(candles(ROWS, 40_000)));
const brokenFile = join(data, 'BTC_USDT-5m.csv.gz');
writeFileSync(brokenFile, broken.cut);

interface FileSummary {
  readonly file: string;
  readonly events: number;
  readonly malformed: number;
  readonly error?: string;
}

describe('a data file that breaks part-way', () => {
  it('stops the run by default, naming the file and saying how to go on', async () => {
    const c = captureIo();
    expect(await main(['backtest', '--data', data, '--out', join(dir, 'stopped')], c.io)).toBe(1);
    expect(c.err()).toMatch(/coinrx backtest: .*BTC_USDT-5m\.csv\.gz: truncated gzip .*--skip-broken-files uses the file up to its fault/);
  });

  it('with --skip-broken-files: every complete row before the fault is used, the cut row is not, the other file whole', async () => {
    expect(broken.completeRows).toBeGreaterThan(ROWS / 4);
    expect(broken.completeRows).toBeLessThan(ROWS);
    const out = join(dir, 'skipped');
    const c = captureIo();
    expect(await main(['backtest', '--data', data, '--out', out, '--skip-broken-files'], c.io), c.err()).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { data: { files: FileSummary[]; events: number; malformed: number } };
    const byName = (name: string): FileSummary | undefined => summary.data.files.find((f) => f.file.endsWith(name));
    expect(byName('BTC_USDT-5m.csv.gz')).toMatchObject({ events: broken.completeRows, malformed: 0, error: expect.stringMatching(/BTC_USDT-5m\.csv\.gz: truncated gzip/) });
    expect(byName('ETH_USDT-5m.csv.gz')).toMatchObject({ events: ROWS, malformed: 0 });
    expect(byName('ETH_USDT-5m.csv.gz')).not.toHaveProperty('error');
    expect(summary.data.events).toBe(ROWS + broken.completeRows);
    expect(c.err()).toMatch(new RegExp(`warning: .*BTC_USDT-5m\\.csv\\.gz: truncated gzip .*read up to there \\(${broken.completeRows} events used\\)`));
    expect(c.err()).toMatch(/read \d+ events from 2 file\(s\) \(1 of them broken part-way\)/);
  });

  it('a file that is not market data at all gets no such hint, and a read of nothing fails every command', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    // Binance's public bookTicker CSV: a format not read here.
    const notRead = join(other, 'BTCUSDT-bookTicker-2024-08-08.csv');
    writeFileSync(notRead, 'update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n5138297417384,61837.6,3.2,61837.7,0.5,1723161255342,1723161255343\n');
    const c = captureIo();
    expect(await main(['features', '--data', notRead, '--out', join(dir, 'none.jsonl')], c.io)).toBe(1);
    expect(c.err()).toMatch(/cannot detect the format/);
    expect(c.err()).not.toMatch(/--skip-broken-files/);
    // Found in a folder, the file is skipped as not market data: the run then read nothing, which is an error
    // naming the file and why (it used to write nothing and exit 0), as a backtest's always was.
    for (const command of ['features', 'rank']) {
      const r = captureIo();
      expect(await main([command, '--data', other, '--out', join(dir, `${command}-none.jsonl`)], r.io), command).toBe(1);
      expect(r.err(), command).toMatch(new RegExp(`coinrx ${command}: no market events in .*BTCUSDT-bookTicker-2024-08-08\\.csv \\(unrecognised first line`));
    }
  });

  it('features and rank take the flag too; a command that reads data another way refuses it', async () => {
    for (const command of ['features', 'rank']) {
      const c = captureIo();
      expect(await main([command, '--data', data, '--skip-broken-files', '--every', '1h', '--out', join(dir, `${command}.jsonl`)], c.io), c.err()).toBe(0);
      expect(c.err()).toMatch(/BTC_USDT-5m\.csv\.gz: truncated gzip .*read up to there/);
    }
    const c = captureIo();
    expect(await main(['optimize', '--data', data, '--skip-broken-files'], c.io)).toBe(2);
    expect(c.err()).toMatch(/unknown option --skip-broken-files/);
  });
});

describe('a data file that gives nothing beside files that do', () => {
  it('is named in a warning with why (empty, a header alone, not market data), the run going on with the others', async () => {
    const folder = join(dir, 'one-coin-missing');
    mkdirSync(folder);
    writeFileSync(join(folder, 'ETH_USDT-5m.csv.gz'), gzipSync(candles(ROWS, 2000)));
    // A download that stopped after the header, one that wrote nothing, and a note that is not data.
    writeFileSync(join(folder, 'BTC_USDT-5m.csv'), 'timestamp,open,high,low,close,volume\n');
    writeFileSync(join(folder, 'SOL_USDT-5m.csv'), '');
    writeFileSync(join(folder, 'notes.dat'), 'to do: fetch SOL again\n');
    for (const command of ['backtest', 'features']) {
      const c = captureIo();
      expect(await main([command, '--data', folder, '--out', join(dir, `one-coin-missing-${command}${command === 'features' ? '.jsonl' : ''}`)], c.io), c.err()).toBe(0);
      const warnings = c.err().split('\n').filter((l) => l.includes('no market events'));
      expect(warnings, command).toEqual([
        `warning: ${join(folder, 'BTC_USDT-5m.csv')}: no market events (0 malformed, 1 ignored records)`,
        `warning: ${join(folder, 'SOL_USDT-5m.csv')}: no market events (empty file)`,
        `warning: ${join(folder, 'notes.dat')}: no market events (unrecognised first line "to do: fetch SOL again")`,
      ]);
      expect(c.err(), command).toMatch(new RegExp(`read ${ROWS} events from 4 file\\(s\\)`));
    }
  });
});
