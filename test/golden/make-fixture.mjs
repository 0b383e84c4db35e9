// Writes the golden backtest's fixture (test/golden/candles/*.csv): three KRW coins of 5-minute candles
// over four days from a seeded random walk with a rally, a slow bleed and a crash, so the run takes
// profits, stops out, times out and trips the daily-loss halt. Committed; run again only to change it:
//   node test/golden/make-fixture.mjs
import { writeFileSync } from 'node:fs';

let seed = 20240101;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const start = Date.UTC(2024, 0, 1);
const bars = 4 * 288;
const coins = [
  ['GLDA_KRW', 10_000, (i) => (i < 500 ? 0.0009 : -0.0004)],
  ['GLDB_KRW', 2_500, (i) => (i < 300 ? -0.0006 : i < 700 ? 0.0012 : -0.0002)],
  ['GLDC_KRW', 480, (i) => (i >= 860 && i < 900 ? -0.006 : 0.0003)],
];
for (const [name, first, drift] of coins) {
  const rows = ['timestamp,open,high,low,close,volume'];
  let price = first;
  for (let i = 0; i < bars; i++) {
    const next = price * (1 + drift(i) + (random() - 0.5) * 0.012);
    const high = Math.max(price, next) * (1 + random() * 0.003);
    const low = Math.min(price, next) * (1 - random() * 0.003);
    const round = (x) => Number(x.toPrecision(6));
    rows.push(`${start + i * 300_000},${round(price)},${round(high)},${round(low)},${round(next)},${Math.round(500 + random() * 2000)}`);
    price = next;
  }
  writeFileSync(new URL(`candles/${name}-5m.csv`, import.meta.url), `${rows.join('\n')}\n`);
}
