import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { FeatureSnapshot, WindowName, WindowStats } from '../core/index.js';

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

/** What of a snapshot to write; everything by default. */
export interface FeatureSelection {
  readonly fields: readonly SnapshotField[];
  readonly windows: readonly WindowName[];
  readonly stats: readonly WindowStat[];
}

/** A JSON number as JSON.stringify writes it: non-finite numbers are null. */
function num(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}

/**
 * A serialiser of feature snapshots to one JSON line, byte for byte what JSON.stringify writes for the
 * selected fields (the snapshot's own key order), about 3× faster: the keys are written once, the
 * numbers as they come, and each market's and regime's quoted string is made once.
 */
export function snapshotSerializer(selection: FeatureSelection): (snapshot: FeatureSnapshot) => string {
  const quoted = new Map<string, string>();
  const quote = (s: string): string => {
    let q = quoted.get(s);
    if (q === undefined) quoted.set(s, (q = JSON.stringify(s)));
    return q;
  };
  const has = new Set<SnapshotField>(selection.fields);
  const windows = selection.windows;
  const stats = selection.stats;
  // `"1m":{"vwap":` … per window and stat, written once.
  const statKeys = windows.map((w, wi) => stats.map((s, si) => `${si === 0 ? `${wi === 0 ? '' : '},'}${JSON.stringify(w)}:{` : ','}${JSON.stringify(s)}:`));
  return (s) => {
    let line = `{"market":${quote(s.market)},"ts":${num(s.ts)}`;
    if (has.has('price')) line += `,"price":${num(s.price)}`;
    if (has.has('windows')) {
      line += ',"windows":{';
      for (let wi = 0; wi < windows.length; wi++) {
        const w = s.windows[windows[wi] as WindowName];
        const keys = statKeys[wi] as string[];
        for (let si = 0; si < stats.length; si++) line += `${keys[si] as string}${num(w[stats[si] as WindowStat])}`;
      }
      line += windows.length > 0 && stats.length > 0 ? '}}' : '}';
    }
    if (has.has('volatility')) line += `,"volatility":${num(s.volatility)}`;
    if (has.has('position')) line += `,"position":${num(s.position)}`;
    if (has.has('high')) line += `,"high":${num(s.high)}`;
    if (has.has('low')) line += `,"low":${num(s.low)}`;
    if (has.has('regime')) {
      line += ',"regime":{';
      let first = true;
      for (const key in s.regime) {
        line += `${first ? '' : ','}${quote(key)}:${quote(s.regime[key] as string)}`;
        first = false;
      }
      line += '}';
    }
    const t = s.touch;
    if (t !== undefined && has.has('touch')) line += `,"touch":{"bidPrice":${num(t.bidPrice)},"bidSize":${num(t.bidSize)},"askPrice":${num(t.askPrice)},"askSize":${num(t.askSize)}}`;
    return `${line}}`;
  };
}
