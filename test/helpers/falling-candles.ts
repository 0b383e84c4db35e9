import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mirrorCandleFiles } from '../../src/market-data/mirror-candle-files.js';
import type { MirrorMode } from '../../src/market-data/mirror-candles.js';
import { sharedData } from './shared-data.js';

/**
 * A falling market made at test time from the recorded 30-coin candles: the rows opening in [from, to)
 * of every coin, mirrored by `by` (`coinrx data mirror`), written to a new temporary folder. Nothing of
 * the data enters the repository.
 */
export function writeFallingCandles(from: number, to: number, by: MirrorMode = 'prices'): string {
  const src = sharedData('candles/binance-spot-2021-5m');
  const cut = mkdtempSync(join(tmpdir(), 'coinrx-cut-'));
  for (const name of readdirSync(src).filter((n) => n.endsWith('.csv.gz'))) {
    const lines = gunzipSync(readFileSync(join(src, name))).toString('utf8').trim().split('\n');
    const kept = lines.slice(1).filter((line) => {
      const ts = Number(line.slice(0, line.indexOf(',')));
      return ts >= from && ts < to;
    });
    writeFileSync(join(cut, name.replace(/\.gz$/, '')), `${lines[0]}\n${kept.join('\n')}\n`);
  }
  const out = mkdtempSync(join(tmpdir(), 'coinrx-falling-'));
  mirrorCandleFiles([cut], out, by);
  return out;
}
