/**
 * Binance's public trade files joined with an overlap (daily files concatenated into a month, one day's
 * rows twice): every repeated trade was read again, its volume counted twice in every window and the
 * simulated exchange matching it twice, with no warning (only `outOfOrder` counted). Binance numbers a
 * market's trades and aggregates in order, so a row whose id is not after the last one's is a repeat:
 * dropped, counted and named, zipped or not, with a header or without.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAll, type MalformedInfo } from '../../src/market-data/index.js';
import { zipArchive } from '../helpers/zip-archive.js';

const START = Date.UTC(2022, 10, 30, 23, 59);
const trade = (i: number): string => `${7_000_000 + i},${(16_000 + i / 10).toFixed(2)},0.0${(i % 9) + 1},${(16_000 * 0.01).toFixed(4)},${START + i * 250},${i % 3 === 0 ? 'True' : 'False'},True`;
const agg = (i: number): string => `${900_000 + i},${(1_200 + i / 100).toFixed(2)},1.5,${3_000_000 + 2 * i},${3_000_001 + 2 * i},${START + i * 250},${i % 2 === 0 ? 'true' : 'false'},true`;

describe('repeated rows in Binance public trade files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-repeated-trades-'));
  const day1 = Array.from({ length: 40 }, (_, i) => i);
  const day2 = Array.from({ length: 40 }, (_, i) => i + 30); // its first 10 trades are day 1's last 10

  const cases: [string, string][] = [
    ['BTCUSDT-trades-2022-11.csv', [...day1, ...day2].map(trade).join('\n')],
    ['ETHUSDT-trades-2022-11.csv', `id,price,qty,quote_qty,time,is_buyer_maker\n${[...day1, ...day2].map((i) => trade(i).replace(/,True$/, '')).join('\n')}`],
    ['SOLUSDT-aggTrades-2022-11.csv', [...day1, ...day2].map(agg).join('\n')],
    ['ADAUSDT-aggTrades-2022-11.csv', `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n${[...day1, ...day2].map((i) => agg(i).replace(/,true$/, '')).join('\n')}`],
  ];

  it('reads each trade once and names the file', async () => {
    for (const [name, text] of cases) {
      for (const zipped of [false, true]) {
        const file = join(dir, zipped ? name.replace(/\.csv$/, '.zip') : name);
        writeFileSync(file, zipped ? zipArchive([{ name, data: `${text}\n` }]) : `${text}\n`);
        const infos: MalformedInfo[] = [];
        const { events, stats } = await readAll([file], { onMalformed: (i) => infos.push(i) });
        const ids = events.map((e) => (e.kind === 'trade' ? e.id : undefined));
        const first = name.includes('aggTrades') ? 900_000 : 7_000_000;
        expect(ids, file).toEqual(Array.from({ length: 70 }, (_, i) => first + i));
        expect(stats.files[0], file).toMatchObject({ malformed: 10, outOfOrder: 0 });
        expect(infos[0]?.reason, file).toMatch(/is before the last one read .*rows read twice/);
      }
    }
  });
});
