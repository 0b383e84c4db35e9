import type { MarketEvent } from '../core/index.js';
import { closeOpenedFile, openedFileFormat, openFile, readFileBatches, readFileEvents, type FileReadOptions, type OpenedFile } from './file-reader.js';
import { emptyFileStats, type FileStats, type MalformedInfo } from './file-stats.js';
import type { ReplayFormat } from './formats.js';
import { binanceTradeLanes } from './lanes.js';
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

async function fileSources<T>(
  inputs: readonly ReadInput[],
  options: ReadOptions,
  onMalformed: (info: MalformedInfo) => void,
  stats: FileStats[][],
  read: (file: string, options: FileReadOptions, stats: FileStats, opened?: OpenedFile) => AsyncIterable<T>,
): Promise<AsyncIterable<T>[]> {
  const sources: AsyncIterable<T>[] = [];
  // Each file opened once, all at once: its first chunk (open, read, gunzip) tells its format and is then
  // the read's. Detected first from a read of their own, the 30 candle files were opened, read and
  // gunzipped twice before a reader thread's first batch, the engine waiting.
  const opened = options.format === undefined ? inputs.map((input) => openFile(input.file)) : [];
  const taken = new Set<OpenedFile>();
  try {
    const formats = await Promise.all(inputs.map((input, i) => options.format ?? openedFileFormat(input.file, opened[i] as OpenedFile)));
    for (const [i, input] of inputs.entries()) {
      const fileOptions: FileReadOptions = { ...options, onMalformed, skipUndetected: input.fromDirectory };
      const format = formats[i];
      const lanes = format === 'binance-trades-csv' && options.market === undefined ? await binanceTradeLanes(input.file) : [];
      const group: FileStats[] = [];
      stats.push(group);
      const file = opened[i];
      if (lanes.length > 1 || file === undefined) {
        for (const lane of lanes.length > 1 ? lanes : [undefined]) {
          const s = emptyFileStats(input.file);
          group.push(s);
          sources.push(read(input.file, lane === undefined ? fileOptions : { ...fileOptions, lane }, s));
        }
      } else {
        const s = emptyFileStats(input.file);
        group.push(s);
        taken.add(file);
        sources.push(openedSource(read(input.file, fileOptions, s, file), file));
      }
    }
  } catch (err) {
    await Promise.all(opened.filter((o) => !taken.has(o)).map(closeOpenedFile));
    await Promise.all(sources.map((source) => source[Symbol.asyncIterator]().return?.(undefined)));
    throw err;
  }
  // A file read as lanes is read again for each of them.
  await Promise.all(opened.filter((o) => !taken.has(o)).map(closeOpenedFile));
  return sources;
}

/**
 * A read given an opened file: closing it before its first `next` (a merge stopped before it began)
 * closes the file, which a generator not yet started would not.
 */
function openedSource<T>(source: AsyncIterable<T>, opened: OpenedFile): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  let started = false;
  const wrapped: AsyncIterator<T> = {
    next: () => {
      started = true;
      return iterator.next();
    },
    return: async (value?: unknown) => {
      if (!started) await closeOpenedFile(opened);
      return (await iterator.return?.(value)) ?? { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => wrapped };
}
