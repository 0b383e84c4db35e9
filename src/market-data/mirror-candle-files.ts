import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { invertPrices, reverseTime, type CandleRow, type MirrorMode } from './mirror-candles.js';

export interface MirroredFile {
  readonly file: string;
  readonly rows: number;
  /** Rows that were not six positive numbers in time order: dropped, as the replay drops them. */
  readonly malformed: number;
  /** First close and last close before and after, so the caller can print what the coin did. */
  readonly change: number;
  readonly mirroredChange: number;
}

const CANDLE_NAME = /\.(csv|json)(\.gz)?$/;
const HEADER = 'timestamp,open,high,low,close,volume';

/** Candle files of a folder (by name: `.csv`, `.json`, optionally `.gz`) or the named files. */
function candleFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) if (CANDLE_NAME.test(name) && !name.startsWith('.')) files.push(join(p, name));
    } else files.push(p);
  }
  return files;
}

function parseRows(path: string): { rows: CandleRow[]; malformed: number; json: boolean } {
  const bytes = readFileSync(path);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  const json = text.trimStart().startsWith('[');
  const lines = json ? [] : text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== HEADER);
  const raw: unknown[][] = json ? (JSON.parse(text) as unknown[][]) : lines.map((line) => line.split(','));
  const rows: CandleRow[] = [];
  let malformed = 0;
  for (const fields of raw) {
    const [ts, open, high, low, close, volume] = fields.slice(0, 6).map(Number) as number[];
    const prev = rows[rows.length - 1];
    const ok =
      fields.length >= 6 && Number.isInteger(ts) && (open as number) > 0 && (close as number) > 0 && (volume as number) >= 0 &&
      (low as number) > 0 && (low as number) <= Math.min(open as number, close as number) && (high as number) >= Math.max(open as number, close as number) &&
      (prev === undefined || (ts as number) > prev.ts);
    if (!ok) malformed++;
    else rows.push({ ts: ts as number, open: open as number, high: high as number, low: low as number, close: close as number, volume: volume as number });
  }
  return { rows, malformed, json };
}

/** Ten significant digits, far finer than any tick, in the plain decimals the replay's fast path reads. */
function num(x: number): string {
  return String(Number(x.toPrecision(10)));
}

function format(rows: readonly CandleRow[], json: boolean): string {
  const lines = rows.map((r) => `${r.ts},${num(r.open)},${num(r.high)},${num(r.low)},${num(r.close)},${num(r.volume)}`);
  return json ? `[${lines.map((l) => `[${l}]`).join(',')}]\n` : `${HEADER}\n${lines.join('\n')}\n`;
}

/**
 * Writes a falling (or, from a falling one, rising) market made from recorded candles: every candle file
 * of `inputs` mirrored by `mode` (mirror-candles.ts) into `outDir` under the same name and format (CSV or
 * freqtrade JSON, gzip when the input was). Time is mirrored around one axis for all files (the first
 * plus the last open time over every file), so the coins stay aligned. Deterministic: the same input gives
 * the same bytes. A stress test, never a forecast: it says how a strategy behaves when the same moves go
 * the other way. Each file is read whole (playing it backwards needs every row; a quarter of 5 m candles
 * is 26k rows), unlike the replay's streaming readers.
 */
export function mirrorCandleFiles(inputs: readonly string[], outDir: string, mode: MirrorMode): MirroredFile[] {
  const files = candleFiles(inputs);
  if (files.length === 0) throw new Error(`no candle files (.csv, .json, optionally .gz) in ${inputs.join(', ')}`);
  const outAbs = resolve(outDir);
  for (const f of files) if (resolve(f, '..') === outAbs) throw new Error(`--out ${outDir} is the input folder; choose another`);
  const parsed = files.map((f) => Object.assign({ file: f }, parseRows(f)));
  let first = Infinity;
  let last = -Infinity;
  for (const p of parsed) {
    if (p.rows.length === 0) continue;
    first = Math.min(first, (p.rows[0] as CandleRow).ts);
    last = Math.max(last, (p.rows[p.rows.length - 1] as CandleRow).ts);
  }
  mkdirSync(outDir, { recursive: true });
  return parsed.map((p) => {
    const mirrored = mode === 'prices' ? invertPrices(p.rows) : reverseTime(p.rows, first + last);
    const text = format(mirrored, p.json);
    const name = basename(p.file);
    writeFileSync(join(outDir, name), name.endsWith('.gz') ? gzipSync(text, { level: 6 }) : text);
    return { file: name, rows: mirrored.length, malformed: p.malformed, change: ratio(p.rows), mirroredChange: ratio(mirrored) };
  });
}

/** Last close / first open − 1. */
function ratio(rows: readonly CandleRow[]): number {
  return rows.length > 0 ? (rows[rows.length - 1] as CandleRow).close / (rows[0] as CandleRow).open - 1 : 0;
}
