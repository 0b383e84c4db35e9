import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { WINDOWS, type FeatureSnapshot, type WindowName, type WindowStats } from '../core/index.js';
import { InputError } from '../core/input-error.js';

/**
 * The `--out` folder, made before the run: a path that cannot be one fails at start in one line, not after
 * hours of backtest or trading with the report lost.
 */
export function prepareOutputFolder(dir: string, flag = `--out ${dir}`): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : (code ?? (error as Error).message);
    throw new InputError(`${flag}: cannot make the folder ${dir} (${why})`);
  }
}

/** An `--out` file's folder, made before the run (as the folders of backtest and demo are); a folder in the file's place is refused. */
export function prepareOutputFile(path: string | undefined): void {
  if (path === undefined || path === '-') return;
  prepareOutputFolder(dirname(path), `--out ${path}`);
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`--out ${path}: is a folder; name a file`);
}

/** JSON lines to a file or stdout, with backpressure: `drain()` after each input batch keeps memory flat. */
export class LineWriter {
  readonly #out: Writable;
  readonly #ownsStream: boolean;
  #buffer: string[] = [];
  lines = 0;
  /** Characters handed to the stream so far (bytes for ASCII output). */
  chars = 0;

  constructor(path: string | undefined, stdout: Writable) {
    this.#ownsStream = path !== undefined && path !== '-';
    this.#out = this.#ownsStream ? createWriteStream(path as string) : stdout;
  }

  write(value: unknown): void {
    this.#buffer.push(JSON.stringify(value));
    this.lines++;
  }

  /** One line already serialised (no newline). */
  writeLine(text: string): void {
    this.#buffer.push(text);
    this.lines++;
  }

  async drain(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const text = `${this.#buffer.join('\n')}\n`;
    this.#buffer = [];
    this.chars += text.length;
    if (!this.#out.write(text)) await once(this.#out, 'drain');
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.#ownsStream) {
      this.#out.end();
      await once(this.#out, 'finish');
    }
  }
}

/** The snapshot fields besides `market` and `ts` (always written), in output order. */
export const SNAPSHOT_FIELDS = ['price', 'windows', 'volatility', 'position', 'high', 'low', 'regime', 'touch'] as const;
export type SnapshotField = (typeof SNAPSHOT_FIELDS)[number];
export const WINDOW_STATS = ['vwap', 'volume', 'value', 'trades'] as const satisfies readonly (keyof WindowStats)[];
export type WindowStat = (typeof WINDOW_STATS)[number];
const WINDOW_COUNT = WINDOWS.length;

/** What of a snapshot to write; everything by default. */
export interface FeatureSelection {
  readonly fields: readonly SnapshotField[];
  readonly windows: readonly WindowName[];
  readonly stats: readonly WindowStat[];
}

/**
 * A serialiser of feature snapshots to one JSON line. Everything selected: JSON.stringify itself (V8's
 * fast path for plain objects; formatting the ~50 numbers of a snapshot is most of its time, and a
 * hand-written writer in JavaScript measured 1.4× slower). A selection: the selected keys copied into a
 * new object in the snapshot's own key order, then JSON.stringify (the bytes JSON.stringify writes for
 * the whole snapshot, less what was not selected).
 */
export function snapshotSerializer(selection: FeatureSelection): (snapshot: FeatureSnapshot) => string {
  const everything = SNAPSHOT_FIELDS.every((f) => selection.fields.includes(f)) && selection.windows.length === WINDOW_COUNT && selection.stats.length === WINDOW_STATS.length;
  if (everything) return (s) => JSON.stringify(s);
  const fields = SNAPSHOT_FIELDS.filter((f) => selection.fields.includes(f));
  const { windows, stats } = selection;
  return (s) => {
    const o: Record<string, unknown> = { market: s.market, ts: s.ts };
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f] as SnapshotField;
      if (field !== 'windows') {
        o[field] = s[field];
        continue;
      }
      const ws: Record<string, Record<string, number>> = {};
      for (let w = 0; w < windows.length; w++) {
        const from = s.windows[windows[w] as WindowName];
        const to: Record<string, number> = {};
        for (let k = 0; k < stats.length; k++) to[stats[k] as WindowStat] = from[stats[k] as WindowStat];
        ws[windows[w] as WindowName] = to;
      }
      o['windows'] = ws;
    }
    return JSON.stringify(o);
  };
}
