import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/core/index.js';
import { EventColumnBuilder } from '../../src/market-data/event-columns.js';
import { readerColumns } from '../../src/market-data/reader-thread.js';
import { openReplay, ReplayFileError, type MalformedInfo, type ReplayOptions, type ReplayStats } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

interface Read {
  readonly events: MarketEvent[];
  readonly stats: ReplayStats;
  readonly malformed: MalformedInfo[];
  readonly warnings: string[];
}

/** The whole replay read in a reader thread or in this one, with what it reported along the way. */
async function read(paths: string[], readerThread: boolean, options: ReplayOptions = {}): Promise<Read> {
  const malformed: MalformedInfo[] = [];
  const warnings: string[] = [];
  const source = openReplay(paths, { ...options, readerThread, onMalformed: (i) => malformed.push(i), logger: { warn: (_o, msg) => warnings.push(msg) } });
  const events: MarketEvent[] = [];
  for await (const batch of source.batches()) for (const e of batch) events.push(e);
  return { events, stats: source.stats(), malformed, warnings };
}

/** Every event equal, field by field in the same order (Object.is: -0 and NaN too), without a deep-equal of 776,610 objects. */
function expectSameEvents(got: readonly MarketEvent[], want: readonly MarketEvent[]): void {
  expect(got.length).toBe(want.length);
  let differing = -1;
  for (let i = 0; i < want.length && differing === -1; i++) {
    const a = got[i] as unknown as Record<string, unknown>;
    const b = want[i] as unknown as Record<string, unknown>;
    const keys = Object.keys(b);
    if (Object.keys(a).join() !== keys.join() || keys.some((k) => !Object.is(a[k], b[k]))) differing = i;
  }
  if (differing !== -1) expect(got[differing]).toStrictEqual(want[differing]);
}

async function expectSameRead(paths: string[], options: ReplayOptions = {}): Promise<Read> {
  const inThread = await read(paths, false, options);
  const threaded = await read(paths, true, options);
  expectSameEvents(threaded.events, inThread.events);
  expect(threaded.stats).toStrictEqual(inThread.stats);
  expect(threaded.malformed).toStrictEqual(inThread.malformed);
  expect(threaded.warnings).toStrictEqual(inThread.warnings);
  return inThread;
}

/** The threads of this process (Linux), to see a reader thread end. */
function threadCount(): number | undefined {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipWithoutSharedData())('a replay read in a reader thread', () => {
  it('yields the 30-coin candles exactly as the read in this thread, with the same stats', async () => {
    const { events, stats } = await expectSameRead([sharedData('candles', 'binance-spot-2021-5m')]);
    expect(events).toHaveLength(776_610);
    expect(stats.files).toHaveLength(30);
  });

  it('yields trades (a multi-market file read as lanes, Tardis, freqtrade JSON) and capture frames (book tops) exactly as in this thread', async () => {
    const { events, stats } = await expectSameRead([sharedData('trades'), sharedData('ws', 'upbit-2021-04'), sharedData('ws', 'binance-2021-10')]);
    const kinds = new Set(events.map((e) => (e.kind === 'trade' ? `trade ${e.side ?? 'no side'}${e.id === undefined ? ' no id' : ''}` : e.kind)));
    expect([...kinds].sort()).toEqual(['book', 'trade buy', 'trade sell', 'trade sell no id']);
    expect(stats.files.find((f) => f.file.endsWith('binance-2024-08-08-trades.csv.gz'))?.lanes).toHaveLength(3);
  });

  it('gives each batch\'s columns while the consumer holds it (the events written as columns again), none once it asks for the next', async () => {
    const source = openReplay([sharedData('candles', 'binance-spot-2021-5m')], { readerThread: true });
    const builder = new EventColumnBuilder();
    let held: MarketEvent[] | undefined;
    let batches = 0;
    for await (const batch of source.batches()) {
      if (held !== undefined) expect(readerColumns(held)).toBeUndefined();
      const columns = readerColumns(batch);
      builder.start(batch.length);
      for (const e of batch) builder.push(e);
      const want = builder.handOver();
      expect(columns?.count).toBe(want.count);
      expect(columns?.newMarkets).toEqual(want.newMarkets);
      expect(columns?.others).toEqual(want.others);
      expect(Buffer.compare(Buffer.from(columns?.codes ?? []), Buffer.from(want.codes))).toBe(0);
      expect(Buffer.compare(Buffer.from(new Uint8Array((columns?.markets ?? new Uint32Array()).slice().buffer)), Buffer.from(new Uint8Array(want.markets.slice().buffer)))).toBe(0);
      expect(Buffer.compare(Buffer.from(new Uint8Array((columns?.values ?? new Float64Array()).slice().buffer)), Buffer.from(new Uint8Array(want.values.slice().buffer)))).toBe(0);
      held = batch;
      if (++batches === 40) break;
    }
    expect(batches).toBe(40);
    expect(readerColumns(held as MarketEvent[])).toBeUndefined();
  });

  it('stops the thread when the consumer stops early, leaving the stats of the batches it took', async () => {
    const before = threadCount();
    const source = openReplay([sharedData('candles', 'binance-spot-2021-5m')], { readerThread: true });
    let taken = 0;
    for await (const batch of source.batches()) {
      taken += batch.length;
      if (taken > 10_000) break;
    }
    // as in this thread: the events counted are those the files had handed to the merge by the last batch taken
    expect(source.stats().events).toBeGreaterThanOrEqual(taken);
    expect(source.stats().events).toBeLessThan(776_610);
    expect(source.stats().files.every((f) => !f.done)).toBe(true);
    const after = threadCount();
    if (before !== undefined && after !== undefined) {
      for (let i = 0; i < 50 && (threadCount() as number) > before; i++) await sleep(20);
      expect(threadCount()).toBeLessThanOrEqual(before);
    }
  });
});

describe('a replay read in a reader thread, on generated files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-thread-'));
  const rows = (n: number, from: number): string[] =>
    Array.from({ length: n }, (_, i) => `${from + i * 300_000},${100 + (i % 7)},${110 + (i % 7)},${90 + (i % 7)},${105 + (i % 7)},${i % 5}.${i % 100}`);

  it('counts and reports malformed and ignored rows exactly as the read in this thread', async () => {
    const good = rows(5_000, 1_600_000_000_000);
    const bad = [...good];
    bad.splice(10, 0, '1600000000000,abc,1,1,1,1');
    bad.splice(2_000, 0, '', 'not,a,candle');
    bad.splice(4_000, 0, '1600000000000,5,1,1,1,1');
    writeFileSync(join(dir, 'AAA_USDT-5m.csv.gz'), gzipSync(`timestamp,open,high,low,close,volume\n${bad.join('\n')}\n`));
    writeFileSync(join(dir, 'BBB_USDT-5m.csv'), `timestamp,open,high,low,close,volume\n${good.join('\r\n')}\r\n`);
    const { stats, malformed, warnings } = await expectSameRead([join(dir, 'AAA_USDT-5m.csv.gz'), join(dir, 'BBB_USDT-5m.csv')]);
    expect(stats).toMatchObject({ events: 10_000, malformed: 3, ignored: 3 });
    expect(malformed).toHaveLength(1);
    expect(malformed[0]).toMatchObject({ line: 12, reason: 'bad OHLCV values "1600000000000,abc,1,1,1,1"' });
    expect(warnings).toHaveLength(1);
  });

  it('merges candle CSV (parsed into columns in the thread) with other sources at equal times in input order', async () => {
    const grid = rows(3_000, 1_600_000_000_000);
    // No timeframe in the name (the first row held until the second gives it), a byte order mark, no final line break.
    writeFileSync(join(dir, 'DDD_USDT.csv'), `\ufefftimestamp,open,high,low,close,volume\n${grid.join('\n')}`);
    // Candles as JSON are parsed as objects, on the same times: ties go by input order, both ways round.
    writeFileSync(join(dir, 'EEE_USDT-5m.json'), JSON.stringify(grid.map((r) => r.split(',').map(Number))));
    writeFileSync(join(dir, 'FFF_USDT-5m.csv'), `timestamp,open,high,low,close,volume\n${grid.filter((_, i) => i % 3 !== 0).join('\n')}\n`);
    const paths = ['EEE_USDT-5m.json', 'DDD_USDT.csv', 'FFF_USDT-5m.csv'].map((f) => join(dir, f));
    const { events, stats } = await expectSameRead(paths);
    expect(stats).toMatchObject({ events: 8_000, malformed: 0 });
    expect(events.slice(0, 3).map((e) => e.market)).toStrictEqual(['EEE/USDT', 'DDD/USDT', 'EEE/USDT']);
    await expectSameRead([...paths].reverse());
  });

  it('fails with the same error as the read in this thread on a truncated gzip, and counts it with onFileError count', async () => {
    const whole = gzipSync(`timestamp,open,high,low,close,volume\n${rows(20_000, 1_600_000_000_000).join('\n')}\n`);
    const file = join(dir, 'CCC_USDT-5m.csv.gz');
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const inThread = await read([file], false).catch((e: unknown) => e as Error);
    const threaded = await read([file], true).catch((e: unknown) => e as Error);
    expect(inThread).toBeInstanceOf(ReplayFileError);
    expect(threaded).toBeInstanceOf(ReplayFileError);
    expect((threaded as ReplayFileError).message).toBe((inThread as ReplayFileError).message);
    expect((threaded as ReplayFileError).file).toBe(file);
    const counted = await expectSameRead([file], { onFileError: 'count' });
    expect(counted.stats.files[0]?.error).toMatch(/truncated gzip/);
    await expect(read([join(dir, 'missing.csv')], true)).rejects.toThrow(/missing\.csv: no such file or directory/);
    writeFileSync(join(dir, 'notes.dat'), 'hello world\n');
    await expect(read([join(dir, 'notes.dat')], true)).rejects.toThrow(/notes\.dat: cannot detect the format/);
  });
});
