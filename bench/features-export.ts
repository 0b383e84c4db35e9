/**
 * `npm run bench -- features-export`: `coinrx features --every 5m` on the 30-coin 5m candles of
 * ../shared/data end to end (a fresh process through bin/coinrx.js: start, gunzip, parse, every window,
 * write), as JSON lines and as an Arrow file with every field, then both again with only the columns
 * DuckDB computes below (`--fields price,vwap,volume,value,trades`: `coinrx_same_columns_*`) and with the
 * issue's own pair, every window's VWAP and volume (`--fields vwap,volume`: `coinrx_vwap_volume_*`), beside
 * the floor for the same input: the same files through the same reader and the same number of bytes
 * written, no feature computed. In the same run, when given: BENCH_PREVIOUS=<checkout of an earlier
 * release> its JSON export and its Arrow export of the same columns, and BENCH_DUCKDB=<folder whose
 * node_modules has @duckdb/node-api> DuckDB computing the same windows (sums of volume, price × volume and
 * counts over RANGE frames (t − W, t], VWAP their ratio) from the same gzip files and writing JSON lines
 * (`duckdb_s`), Parquet, its columnar file (`duckdb_parquet_s`), and to a table only
 * (`duckdb_compute_s`), then the VWAP and volume pair alone (`duckdb_vwap_volume_*`); the `_vs_duckdb` ratios
 * compare the same columns, text with text and columnar with columnar.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WINDOW_MS, WINDOWS } from '../src/core/index.js';
import { openReplay } from '../src/market-data/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CANDLES = join(root, '../shared/data/candles/binance-spot-2021-5m');

function seconds(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The columns DuckDB computes below: the price and every window's four figures (no volatility, lines, regimes or touch). */
const SAME_COLUMNS = ['--fields', 'price,vwap,volume,value,trades'];
/** The issue's own pair: every window's VWAP and volume. */
const VWAP_VOLUME = ['--fields', 'vwap,volume'];

function cliExport(tree: string, out: string, extra: readonly string[] = []): number {
  return seconds(() => execFileSync(process.execPath, [join(tree, 'bin/coinrx.js'), 'features', '--data', CANDLES, '--every', '5m', '--out', out, ...extra], { stdio: 'ignore' }));
}

/** The floor: the reader's events counted, then `bytes` written in 1 MiB pieces. */
async function floor(bytes: number, out: string): Promise<{ seconds: number; events: number }> {
  const started = process.hrtime.bigint();
  let events = 0;
  for await (const batch of openReplay([CANDLES]).batches()) events += batch.length;
  const stream = createWriteStream(out);
  const piece = Buffer.alloc(2 ** 20, 0x20);
  for (let left = bytes; left > 0; left -= piece.length) if (!stream.write(left >= piece.length ? piece : piece.subarray(0, left))) await once(stream, 'drain');
  stream.end();
  await once(stream, 'finish');
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, events };
}

interface DuckConnection {
  run(sql: string): Promise<unknown>;
}

interface DuckFigures {
  readonly duckdb_s: number;
  readonly duckdb_parquet_s: number;
  readonly duckdb_compute_s: number;
  readonly duckdb_bytes: number;
  readonly duckdb_parquet_bytes: number;
  readonly duckdb_vwap_volume_s: number;
  readonly duckdb_vwap_volume_parquet_s: number;
}

async function duckdb(dir: string, out: string): Promise<DuckFigures> {
  const require = createRequire(join(dir, 'package.json'));
  const { DuckDBInstance } = (await import(pathToFileURL(require.resolve('@duckdb/node-api')).href)) as { DuckDBInstance: { create(path: string): Promise<{ connect(): Promise<DuckConnection> }> } };
  const windows = WINDOWS.map((w) => `w${w.replace(/[^0-9a-zA-Z]/g, '_')}${w === '1M' ? 'mo' : ''}`);
  // Each window's VWAP and volume, and with `all` its value and print count too.
  const selects = (all: boolean): string =>
    WINDOWS.map((w, i) => {
      const n = windows[i];
      // DuckDB's names ignore case: 1M (a month) is written 1mo beside 1m.
      const c = w === '1M' ? '1mo' : w;
      return `sum(value) OVER ${n} / sum(volume) OVER ${n} AS "vwap_${c}", sum(volume) OVER ${n} AS "volume_${c}"${all ? `, sum(value) OVER ${n} AS "value_${c}", count(*) OVER ${n} AS "trades_${c}"` : ''}`;
    }).join(',\n');
  const defs = WINDOWS.map((w, i) => `${windows[i]} AS (PARTITION BY market ORDER BY ts RANGE BETWEEN ${WINDOW_MS[w] - 1} PRECEDING AND CURRENT ROW)`).join(',\n');
  const load = `SELECT replace(regexp_extract(filename, '([A-Z0-9]+_[A-Z0-9]+)-5m', 1), '_', '/') AS market, "timestamp" + 300000 AS ts, close, volume, close * volume AS value FROM read_csv('${CANDLES}/*.csv.gz', filename = true)`;
  const query = (all = true): string => `SELECT market, ts, ${all ? 'close AS price, ' : ''}${selects(all)} FROM (${load}) WINDOW ${defs} ORDER BY ts, market`;
  const run = async (sql: string): Promise<number> => {
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    await connection.run('SET threads = 2');
    const started = process.hrtime.bigint();
    await connection.run(sql);
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  const compute = await run(`CREATE TABLE f AS ${query()}`);
  const total = await run(`COPY (${query()}) TO '${out}' (FORMAT JSON)`);
  const parquet = `${out}.parquet`;
  const columnar = await run(`COPY (${query()}) TO '${parquet}' (FORMAT PARQUET)`);
  const parquetBytes = statSync(parquet).size;
  rmSync(parquet);
  const bytes = statSync(out).size;
  const pairJson = await run(`COPY (${query(false)}) TO '${out}' (FORMAT JSON)`);
  const pairParquet = await run(`COPY (${query(false)}) TO '${parquet}' (FORMAT PARQUET)`);
  rmSync(parquet);
  return { duckdb_s: round(total), duckdb_parquet_s: round(columnar), duckdb_compute_s: round(compute), duckdb_bytes: bytes, duckdb_parquet_bytes: parquetBytes, duckdb_vwap_volume_s: round(pairJson), duckdb_vwap_volume_parquet_s: round(pairParquet) };
}

function round(x: number): number {
  return Number(x.toFixed(2));
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-export-'));
  try {
    const json = join(dir, 'f.jsonl');
    const coinrxJson = cliExport(root, json);
    const bytes = statSync(json).size;
    const coinrxArrow = cliExport(root, join(dir, 'f.arrow'));
    const arrowBytes = statSync(join(dir, 'f.arrow')).size;
    rmSync(join(dir, 'f.arrow'));
    const sameJson = cliExport(root, join(dir, 'same.jsonl'), SAME_COLUMNS);
    rmSync(join(dir, 'same.jsonl'));
    const sameArrow = cliExport(root, join(dir, 'same.arrow'), SAME_COLUMNS);
    rmSync(join(dir, 'same.arrow'));
    const pairJson = cliExport(root, join(dir, 'pair.jsonl'), VWAP_VOLUME);
    rmSync(join(dir, 'pair.jsonl'));
    const pairArrow = cliExport(root, join(dir, 'pair.arrow'), VWAP_VOLUME);
    rmSync(join(dir, 'pair.arrow'));
    const floorRun = await floor(bytes, join(dir, 'floor'));
    rmSync(join(dir, 'floor'));
    const figures: Record<string, unknown> = {
      events: floorRun.events,
      coinrx_json_s: round(coinrxJson),
      coinrx_json_bytes: bytes,
      coinrx_arrow_s: round(coinrxArrow),
      coinrx_arrow_bytes: arrowBytes,
      coinrx_same_columns_json_s: round(sameJson),
      coinrx_same_columns_arrow_s: round(sameArrow),
      coinrx_vwap_volume_json_s: round(pairJson),
      coinrx_vwap_volume_arrow_s: round(pairArrow),
      floor_read_and_write_s: round(floorRun.seconds),
      coinrx_json_vs_floor: round(coinrxJson / floorRun.seconds),
    };
    const previous = process.env['BENCH_PREVIOUS'];
    if (previous) {
      figures['previous_json_s'] = round(cliExport(previous, join(dir, 'previous.jsonl')));
      rmSync(join(dir, 'previous.jsonl'));
      figures['previous_same_columns_arrow_s'] = round(cliExport(previous, join(dir, 'previous.arrow'), SAME_COLUMNS));
      rmSync(join(dir, 'previous.arrow'));
    }
    const duck = process.env['BENCH_DUCKDB'];
    if (duck) {
      const d = await duckdb(duck, join(dir, 'duck.jsonl'));
      Object.assign(figures, d, {
        coinrx_json_vs_duckdb: round(sameJson / d.duckdb_s),
        coinrx_arrow_vs_duckdb_parquet: round(sameArrow / d.duckdb_parquet_s),
        coinrx_vwap_volume_json_vs_duckdb: round(pairJson / d.duckdb_vwap_volume_s),
        coinrx_vwap_volume_arrow_vs_duckdb_parquet: round(pairArrow / d.duckdb_vwap_volume_parquet_s),
      });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
