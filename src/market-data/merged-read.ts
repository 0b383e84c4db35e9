import type { MarketEvent } from '../core/index.js';
import { emptyFileStats, readFileBatches, readFileEvents, type FileReadOptions, type FileStats, type MalformedInfo } from './file-reader.js';
import type { ReplayFormat } from './formats.js';
import { binanceTradeLanes, detectFileFormat } from './lanes.js';
import { mergeByTime } from './merge.js';
import { mergeColumns } from './merge-columns.js';
import type { EventColumns } from './event-columns.js';

/** What a read needs of the replay's options: plain data, so a worker thread can be given it. */
export interface ReadOptions {
  format?: ReplayFormat;
  market?: string;
  timeframeMs?: number;
  depthTops?: boolean;
  reorderWindowMs?: number;
  onFileError?: 'throw' | 'count';
}

/** A file to read, and whether it was found in a directory (an undetectable one is then skipped). */
export interface ReadInput {
  readonly file: string;
  readonly fromDirectory: boolean;
}

/**
 * Every input's events merged by time, in batches: formats detected, multi-market files split into
 * lanes. `stats` gets one group a file (the stats of each lane it is read as), updated as the read goes.
 */
export async function* readMerged(inputs: readonly ReadInput[], options: ReadOptions, onMalformed: (info: MalformedInfo) => void, stats: FileStats[][]): AsyncGenerator<MarketEvent[]> {
  yield* mergeByTime(await fileSources(inputs, options, onMalformed, stats, readFileEvents));
}

/**
 * readMerged as a reader thread posts it: the same batches, as columns (candle CSV never made into
 * objects), each in the next of `arrays` (see mergeColumns).
 */
export async function* readMergedColumns(inputs: readonly ReadInput[], options: ReadOptions, onMalformed: (info: MalformedInfo) => void, stats: FileStats[][], arrays: () => EventColumns): AsyncGenerator<EventColumns> {
  yield* mergeColumns(await fileSources(inputs, options, onMalformed, stats, readFileBatches), arrays);
}

async function fileSources<T>(inputs: readonly ReadInput[], options: ReadOptions, onMalformed: (info: MalformedInfo) => void, stats: FileStats[][], read: (file: string, options: FileReadOptions, stats: FileStats) => AsyncIterable<T>): Promise<AsyncIterable<T>[]> {
  const sources: AsyncIterable<T>[] = [];
  // All files' formats at once: one after another, the 30 candle files' first chunks (open, read,
  // gunzip) were about 60 ms before a reader thread's first batch, the engine waiting.
  const formats = await Promise.all(inputs.map((input) => options.format ?? detectFileFormat(input.file).catch(() => undefined)));
  for (const [i, input] of inputs.entries()) {
    const fileOptions: FileReadOptions = { ...options, onMalformed, skipUndetected: input.fromDirectory };
    const format = formats[i];
    const lanes = format === 'binance-trades-csv' && options.market === undefined ? await binanceTradeLanes(input.file) : [];
    const group: FileStats[] = [];
    stats.push(group);
    for (const lane of lanes.length > 1 ? lanes : [undefined]) {
      const s = emptyFileStats(input.file);
      group.push(s);
      sources.push(read(input.file, lane === undefined ? fileOptions : { ...fileOptions, lane }, s));
    }
  }
  return sources;
}
