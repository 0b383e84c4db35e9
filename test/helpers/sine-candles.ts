import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Three USDT coins of 5m candles over twelve days, each a ±5 % sine of its own period (8 h, 12.5 h, 5 h),
 * so barrier labels of either side occur every day; written to a new temporary folder (`prefix` names it).
 */
export function writeSineCandles(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const start = Date.UTC(2024, 0, 1);
  for (const [name, period] of [['AAA_USDT', 96], ['BBB_USDT', 150], ['CCC_USDT', 60]] as const) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 100;
    for (let i = 0; i < 12 * 288; i++) {
      const next = 100 * (1 + 0.05 * Math.sin((2 * Math.PI * i) / period));
      rows.push(`${start + i * 300_000},${price},${Math.max(price, next) * 1.002},${Math.min(price, next) * 0.998},${next},${50 + (i % 11)}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
  }
  return dir;
}
