import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Three KRW coins of 5m candles over three days (864 each), zigzagging out of phase so the strategy
 * trades; written to a new temporary folder, so a fresh clone needs no data.
 */
export function writeZigzagCandles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-candles-'));
  const start = Date.UTC(2024, 0, 1);
  for (const [name, phase] of [['AAA_KRW', 0], ['BBB_KRW', 1], ['CCC_KRW', 2]] as const) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 10_000;
    for (let i = 0; i < 864; i++) {
      const next = 10_000 * (1 + 0.04 * Math.sin((i + phase * 40) / 30));
      rows.push(`${start + i * 300_000},${price},${Math.max(price, next) * 1.001},${Math.min(price, next) * 0.999},${next},${1000 + ((i * 7) % 13) * 100}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
  }
  return dir;
}
