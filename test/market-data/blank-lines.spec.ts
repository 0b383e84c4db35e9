/**
 * Trade CSV as spreadsheets and Windows tools save it: a byte order mark, CRLF line ends, empty rows
 * between and after the data. Each empty line was a malformed "bad trade row" (or "unknown symbol
 * undefined") with a warning naming the file, as if data had been lost; it is no record at all.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAll, type MalformedInfo } from '../../src/market-data/index.js';

const T = Date.UTC(2020, 2, 12, 10);

describe('blank lines in trade CSV', () => {
  it('are ignored, not malformed, in every trade format, with a BOM and CRLF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-blank-lines-'));
    const files: [string, string[]][] = [
      ['tardis_bitmex_XBTUSD_trades.csv', ['exchange,symbol,timestamp,local_timestamp,id,side,price,amount', `bitmex,XBTUSD,${T * 1000},${T * 1000 + 5},a1,sell,5600.5,100`, '', `bitmex,XBTUSD,${T * 1000 + 7},${T * 1000 + 9},a2,buy,5601,20`]],
      ['BTCUSDT-trades-2020-03.csv', [`11,5600.5,0.1,560.05,${T},True,True`, '', `12,5601,0.2,1120.2,${T + 1},False,True`]],
      ['ETHUSDT-aggTrades-2020-03.csv', ['agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker', `5,130.1,2,40,41,${T},true`, '', `6,130.2,1,42,42,${T + 1},false`]],
      ['binance_spot_LTCUSDT_trades_2020-03-12.csv', ['timestamp,trade_id,price,quantity,buyer_maker', '2020-03-12T10:00:00.000Z,1,38.5,3,True', '', '2020-03-12T10:00:00.001Z,2,38.6,1,False']],
      ['binance-2020-03-12-trades.csv', ['market,symbol,trade_time_ms,local_recv_ns,trade_id,price,qty,taker_side,is_buyer_maker', `spot,BTCUSDT,${T},${T}000000,1,5600.5,0.1,sell,true`, '', `spot,BTCUSDT,${T + 1},${T + 1}000000,2,5601,0.1,buy,false`]],
    ];
    for (const [name, lines] of files) {
      writeFileSync(join(dir, name), `\ufeff${lines.join('\r\n')}\r\n\r\n\r\n`);
      const infos: MalformedInfo[] = [];
      const { events, stats } = await readAll([join(dir, name)], { onMalformed: (i) => infos.push(i) });
      expect(events.map((e) => e.kind), name).toEqual(['trade', 'trade']);
      expect(stats.files[0]?.malformed, name).toBe(0);
      expect(infos, name).toEqual([]);
    }
  });
});
