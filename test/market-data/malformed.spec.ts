import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openReplay, readAll, ReplayFileError, type MalformedInfo } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'coinrx-bad-'));

describe('malformed input without the shared data', () => {
  it('names an undetectable file given explicitly, and an empty one', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'notes.dat'), 'hello world\n');
    await expect(readAll([join(dir, 'notes.dat')])).rejects.toThrow(/notes\.dat: cannot detect the format \(unrecognised first line "hello world"\)/);
    writeFileSync(join(dir, 'empty.csv'), '');
    await expect(readAll([join(dir, 'empty.csv')])).rejects.toThrow(/empty\.csv: the file is empty/);
    // Found in a directory, an empty file is skipped and noted.
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'empty.csv'), '');
    writeFileSync(join(sub, 'AAA_KRW-5m.csv'), 'timestamp,open,high,low,close,volume\n1704067200000,1,1,1,1,1\n');
    const inDir = await readAll([sub]);
    expect(inDir.events).toHaveLength(1);
    expect(inDir.stats.skipped).toEqual([`${join(sub, 'empty.csv')}: empty file`]);
    await expect(readAll([join(dir, 'missing.csv')])).rejects.toThrow(/missing\.csv/);
  });

  it('walks a folder with a link back to itself or beside once, and names a link to nothing', async () => {
    const dir = tmp();
    const data = join(dir, 'data');
    mkdirSync(join(data, '2021'), { recursive: true });
    writeFileSync(join(data, '2021', 'AAA_KRW-5m.csv'), 'timestamp,open,high,low,close,volume\n1704067200000,1,1,1,1,1\n');
    // `latest` pointing at a folder beside it, `all` at the folder itself: each file is still read once.
    symlinkSync(join(data, '2021'), join(data, 'latest'));
    symlinkSync(data, join(data, '2021', 'all'));
    const { events, stats } = await readAll([data]);
    expect(events).toHaveLength(1);
    expect(stats.files.map((f) => f.file)).toEqual([join(data, '2021', 'AAA_KRW-5m.csv')]);
    symlinkSync(join(dir, 'moved-away.csv'), join(data, 'BBB_KRW-5m.csv'));
    await expect(readAll([data])).rejects.toThrow(/BBB_KRW-5m\.csv: a link to a file that does not exist/);
  });

  it('drops and counts a candle row repeated or out of order, plain or gzip (read from the bytes or the text), naming its time', async () => {
    const dir = tmp();
    const rows = ['1609459200000,10,11,9,10.5,100', '1609462800000,10.5,12,10,11,200', '1609462800000,10.5,12,10,11,200', '1609466400000,11,11.5,10.5,11.2,300', '1609459200000,10,11,9,10.5,100', '1609470000000,11.2,11.4,11,11.1,400'];
    const text = `timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`;
    writeFileSync(join(dir, 'AB_CD-1h.csv'), text);
    mkdirSync(join(dir, 'gz'));
    writeFileSync(join(dir, 'gz', 'AB_CD-1h.csv.gz'), gzipSync(text));
    for (const path of [join(dir, 'AB_CD-1h.csv'), join(dir, 'gz', 'AB_CD-1h.csv.gz')]) {
      const infos: MalformedInfo[] = [];
      const { events, stats } = await readAll([path], { onMalformed: (i) => infos.push(i) });
      // Each hour once, its volume once: a repeated row would count its volume twice in every window.
      expect(events.map((e) => (e.kind === 'candle' ? [e.openTime, e.volume] : []))).toEqual([[1609459200000, 100], [1609462800000, 200], [1609466400000, 300], [1609470000000, 400]]);
      expect(stats.files[0]).toMatchObject({ malformed: 2, firstMalformedLine: 4 });
      expect(infos[0]?.reason).toMatch(/a second row for open time 2021-01-01T01:00:00\.000Z/);
    }
  });

  it('drops and names candle rows closer than the timeframe in the file name, and open times before 1973', async () => {
    const dir = tmp();
    const hourly = Array.from({ length: 48 }, (_, i) => `${1609459200000 + i * 3_600_000},10,11,9,10.5,100`);
    writeFileSync(join(dir, 'AB_CD-1d.csv'), `timestamp,open,high,low,close,volume\n${hourly.join('\n')}\n`);
    const infos: MalformedInfo[] = [];
    const daily = await readAll([join(dir, 'AB_CD-1d.csv')], { onMalformed: (i) => infos.push(i) });
    // Hourly rows in a file named 1d: only the rows a day apart are candles of a day.
    expect(daily.events.map((e) => (e.kind === 'candle' ? e.openTime : 0))).toEqual([1609459200000, 1609545600000]);
    expect(daily.stats.files[0]).toMatchObject({ malformed: 46 });
    expect(infos[0]?.reason).toMatch(/a row opening 1 h after the last one, inside its 1 d candle \(is the timeframe in the file name right\?\)/);
    // Open times in seconds are read (candle-seconds.spec.ts); below 1973 in seconds they are no time.
    const early = hourly.map((r) => r.replace(/^(\d+)00000,/, '$1,'));
    writeFileSync(join(dir, 'EF_GH-1h.csv'), `timestamp,open,high,low,close,volume\n${early.join('\n')}\n`);
    const secInfos: MalformedInfo[] = [];
    const s = await readAll([join(dir, 'EF_GH-1h.csv')], { onMalformed: (i) => secInfos.push(i) });
    expect(s.events).toEqual([]);
    expect(s.stats.files[0]).toMatchObject({ malformed: 48 });
    expect(secInfos[0]?.reason).toMatch(/timestamp 16094592 is before 1973 in seconds and in milliseconds: not an epoch time/);
  });

  it('counts bad trade records in a freqtrade JSON by record number; a broken array structure is an error naming the file', async () => {
    const dir = tmp();
    const rows = [
      '[1570752011620,"1",null,"sell",0.5,23.0,11.5]',
      '[1570752011621,"2",null,"buy",-1,23.0,11.5]',
      '[1570752011622,"3",null,"buy",0.6,"x",11.5]',
      '[1570752011623,"4",null,"buy",0.7,2.0,1.4]',
    ];
    writeFileSync(join(dir, 'binance-AB_CD-2020-01-trades.json'), `[${rows.join(',\n ')}]`);
    const infos: MalformedInfo[] = [];
    const { events, stats } = await readAll([join(dir, 'binance-AB_CD-2020-01-trades.json')], { onMalformed: (i) => infos.push(i) });
    expect(events.map((e) => e.ts)).toEqual([1570752011620, 1570752011623]);
    expect(stats.files[0]).toMatchObject({ malformed: 2, firstMalformedLine: 2, market: 'AB/CD' });
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ line: 2, format: 'freqtrade-trades-json' });
    writeFileSync(join(dir, 'binance-AB_CD-2020-02-trades.json'), `[${rows[0]}, {"a": 1}]`);
    await expect(readAll([join(dir, 'binance-AB_CD-2020-02-trades.json')])).rejects.toThrow(/AB_CD-2020-02-trades\.json: record 2: expected/);
    writeFileSync(join(dir, 'binance-AB_CD-2020-03-trades.json'), `[${rows[0]}, [1570752011623,"4"`);
    await expect(readAll([join(dir, 'binance-AB_CD-2020-03-trades.json')])).rejects.toThrow(/2020-03-trades\.json.*truncated/);
  });

  it('reads the same events from a truncated gzip however slowly the batches are taken (onFileError: count)', async () => {
    const dir = tmp();
    const rows = Array.from({ length: 20_000 }, (_, i) => `${1_600_000_000_000 + i * 300_000},${100 + (i % 7)},${110 + (i % 7)},${90 + (i % 7)},${105 + (i % 7)},${i % 5}.${i % 100}`);
    const whole = gzipSync(`timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`);
    const file = join(dir, 'CCC_USDT-5m.csv.gz');
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const take = async (pauseMs: number): Promise<number> => {
      const source = openReplay([file], { onFileError: 'count', readerThread: false });
      let n = 0;
      for await (const batch of source.batches()) {
        n += batch.length;
        // A slow consumer: the file's gunzipped chunks pile up before the truncation is found.
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
      expect(source.stats().files[0]?.error).toMatch(/truncated gzip/);
      expect(source.stats().events).toBe(n);
      return n;
    };
    const fast = await take(0);
    expect(fast).toBeGreaterThan(10_000);
    expect(await take(30)).toBe(fast);
  });

  it('counts garbage capture lines and bad frames, keeping every good frame', async () => {
    const dir = tmp();
    const trade = (sid: number, tp: unknown): string =>
      JSON.stringify({ ty: 'trade', cd: 'KRW-BTC', tms: 1_700_000_000_000 + sid, tp, tv: 0.1, ab: 'BID', sid });
    const text = [
      `1700000000.1: b'${trade(1, 100)}'`,
      'garbage ### line',
      `1700000000.2: b'${trade(2, 'abc')}'`,
      `1700000000.3: b'{"ty":"trade", broken json'`,
      `1700000000.4: b'${trade(3, 101)}'`,
      `1700000000.5: b'{"ty":"snapshot_of_something_new","cd":"KRW-BTC","tms":1}'`,
    ].join('\n');
    writeFileSync(join(dir, 'UPBIT.ws.1.0'), text);
    const warnings: { obj: object; msg: string }[] = [];
    const { events, stats } = await readAll([join(dir, 'UPBIT.ws.1.0')], { logger: { warn: (obj, msg) => warnings.push({ obj, msg }) } });
    expect(events.map((e) => (e.kind === 'trade' ? e.id : undefined))).toEqual([1, 3]);
    expect(stats.files[0]).toMatchObject({ malformed: 3, ignored: 1, firstMalformedLine: 2 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.obj).toMatchObject({ line: 2, reason: 'not a capture line' });
    expect(warnings[0]?.msg).toContain('UPBIT.ws.1.0');
  });
});

describe.skipIf(skipWithoutSharedData())('corrupted copies of real files', () => {
  const source = sharedData('candles', 'binance-spot-2021-5m', 'SOL_USDT-5m.csv.gz');

  it('skips garbage lines and a bad number, reports the first line once, loses nothing else', async () => {
    const reference = (await readAll([source])).events;
    const lines = gunzipSync(readFileSync(source)).toString('utf8').split('\n');
    const bad = [...lines];
    bad.splice(10, 0, 'this is not a candle'); // becomes line 11
    const row = (bad[20] as string).split(',');
    row[4] = '12.3.4';
    bad[20] = row.join(','); // line 21: a bad close
    bad.splice(30, 0, '1609470000000,1,2'); // line 31: too few fields
    const dir = tmp();
    writeFileSync(join(dir, 'SOL_USDT-5m.csv.gz'), gzipSync(bad.join('\n')));
    const infos: MalformedInfo[] = [];
    const { events, stats } = await readAll([join(dir, 'SOL_USDT-5m.csv.gz')], { onMalformed: (i) => infos.push(i) });
    expect(stats.files[0]).toMatchObject({ malformed: 3, firstMalformedLine: 11, events: reference.length - 1 });
    expect(infos).toEqual([expect.objectContaining({ line: 11, sample: 'this is not a candle', file: join(dir, 'SOL_USDT-5m.csv.gz') })]);
    // the bad-number row is data line 19 of the original (file line 20 before the insert)
    expect(events).toEqual(reference.filter((_, i) => i !== 18));
  });

  it('counts a garbage line once in a multi-market file read as lanes, with its real line number', async () => {
    const extract = sharedData('trades', 'binance-2024-08-08-trades.csv.gz');
    const reference = (await readAll([extract])).events;
    const lines = gunzipSync(readFileSync(extract)).toString('utf8').split('\n');
    const ethAt = lines.findIndex((l) => l.startsWith('spot,ETHUSDT,'));
    const bad = [...lines];
    bad[ethAt + 3] = (bad[ethAt + 3] as string).replace(/^spot,ETHUSDT,\d+,/, 'spot,ETHUSDT,soon,'); // a bad time, in the ETH lane
    bad.splice(4, 0, '#### not a trade'); // line 5, claimed by no lane
    const dir = tmp();
    writeFileSync(join(dir, 'binance-trades.csv.gz'), gzipSync(bad.join('\n')));
    const infos: MalformedInfo[] = [];
    const { events, stats } = await readAll([join(dir, 'binance-trades.csv.gz')], { onMalformed: (i) => infos.push(i) });
    expect(stats.files[0]).toMatchObject({ malformed: 2, firstMalformedLine: 5, events: reference.length - 1 });
    expect(infos).toHaveLength(1); // once per file, whichever lane met its bad line first
    expect([5, ethAt + 5]).toContain(infos[0]?.line); // the ETH row moved down one by the insert
    const droppedId = Number((lines[ethAt + 3] as string).split(',')[4]);
    expect(events).toEqual(reference.filter((e) => !(e.market === 'ETH/USDT' && e.kind === 'trade' && e.id === droppedId)));
  });

  it('rejects a truncated gzip naming the file, or counts it and keeps the other files with onFileError: count', async () => {
    const dir = tmp();
    const gz = readFileSync(source);
    writeFileSync(join(dir, 'SOL_USDT-5m.csv.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    const other = sharedData('candles', 'binance-spot-2021-5m', 'BTC_USDT-5m.csv.gz');
    const err = await readAll([join(dir, 'SOL_USDT-5m.csv.gz'), other]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayFileError);
    expect((err as ReplayFileError).file).toBe(join(dir, 'SOL_USDT-5m.csv.gz'));
    expect((err as Error).message).toMatch(/truncated gzip|unexpected end/);

    const { events, stats } = await readAll([join(dir, 'SOL_USDT-5m.csv.gz'), other], { onFileError: 'count' });
    const [sol, btc] = stats.files;
    expect(sol?.error).toMatch(/SOL_USDT-5m\.csv\.gz: (truncated gzip|unexpected end)/);
    expect(sol?.done).toBe(false);
    expect(btc?.done).toBe(true);
    const btcReference = (await readAll([other])).events;
    expect(events.filter((e) => e.market === 'BTC/USDT')).toEqual(btcReference);
    // what was read of the truncated file is a prefix of the real one, counted in its stats
    const solReference = (await readAll([source])).events;
    const solEvents = events.filter((e) => e.market === 'SOL/USDT');
    expect(solEvents.length).toBe(sol?.events);
    expect(solEvents.length).toBeGreaterThan(1000);
    expect(solEvents).toEqual(solReference.slice(0, solEvents.length));
  });
});

describe('format override and early stop', () => {
  it('reads a file whose first line defeats detection when the format is given, counting that line', async () => {
    const dir = tmp();
    const frame = JSON.stringify({ ty: 'trade', cd: 'KRW-ETH', tms: 1_700_000_000_000, tp: 5_000_000, tv: 0.5, ab: 'ASK', sid: 9 });
    writeFileSync(join(dir, 'capture.log'), `-- recorder v2 started --\n${frame}\n`);
    await expect(readAll([join(dir, 'capture.log')])).rejects.toThrow(/capture\.log: cannot detect the format/);
    const { events, stats } = await readAll([join(dir, 'capture.log')], { format: 'ws-capture' });
    expect(events).toEqual([{ kind: 'trade', market: 'ETH/KRW', ts: 1_700_000_000_000, price: 5_000_000, amount: 0.5, side: 'sell', id: 9 }]);
    expect(stats.files[0]).toMatchObject({ malformed: 1, firstMalformedLine: 1 });
  });

  it('stops reading when the consumer breaks out, and can be read again from the start', async () => {
    const dir = tmp();
    const lines = ['timestamp,trade_id,price,quantity,buyer_maker'];
    for (let i = 0; i < 50_000; i++) lines.push(`2021-01-08T00:00:${String(i % 60).padStart(2, '0')}.000Z,${i},1.5,2,False`);
    writeFileSync(join(dir, 'binance_spot_ABCUSDT_trades_x.csv'), lines.join('\n'));
    const replay = openReplay([join(dir, 'binance_spot_ABCUSDT_trades_x.csv')]);
    let n = 0;
    for await (const e of replay.events()) {
      expect(e.market).toBe('ABC/USDT');
      if (++n === 10) break;
    }
    expect(replay.stats().files[0]?.done).toBe(false);
    expect(replay.stats().files[0]?.events).toBeLessThan(50_000);
    const again = await readAll([join(dir, 'binance_spot_ABCUSDT_trades_x.csv')]);
    expect(again.events).toHaveLength(50_000);
  });
});

describe('numbers that are not finite', () => {
  it('make a candle or trade row malformed: Infinity and 1e400 are numbers to Number(), no price', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-infinite-'));
    const t = Date.UTC(2024, 3, 1);
    writeFileSync(join(dir, 'AB_USDT-1h.csv'), `timestamp,open,high,low,close,volume\n${t},1,Infinity,1,1,5\n${t + 3_600_000},1e400,1e400,1e400,1e400,5\n${t + 7_200_000},1,2,0.5,1,Infinity\n${t + 10_800_000},1,2,0.5,1.5,5\n`);
    const candles = await readAll([join(dir, 'AB_USDT-1h.csv')]);
    expect(candles.events.map((e) => e.ts)).toEqual([t + 4 * 3_600_000]);
    expect(candles.stats.files[0]).toMatchObject({ malformed: 3 });
    writeFileSync(join(dir, 'ABUSDT-trades-2024-04.csv'), `1,5,1,5,${t},False,True\n2,Infinity,1,1,${t + 1},True,True\n3,5,1e400,1,${t + 2},True,True\n4,5,1,5,${t + 3},False,True\n`);
    const trades = await readAll([join(dir, 'ABUSDT-trades-2024-04.csv')]);
    expect(trades.events.map((e) => (e.kind === 'trade' ? e.id : 0))).toEqual([1, 4]);
    expect(trades.stats.files[0]).toMatchObject({ malformed: 2 });
  });
});
