import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { Subject } from 'rxjs';
import { WINDOW_MS, WINDOWS, type FeatureSnapshot, type MarketEvent } from '../../core/index.js';
import { marketPipeline } from '../../engine/market-pipeline.js';
import { expandPaths, hintsFromFileName } from '../../market-data/index.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { BROKEN_FILE_FLAGS, CONFIG_FLAGS, DATA_FLAGS, type Command } from '../command.js';
import { estimateRecords } from '../input-records-estimate.js';
import { ParallelJsonWriter } from '../parallel-json-writer.js';
import { LineWriter, prepareOutputFile, SNAPSHOT_FIELDS, snapshotSerializer, WINDOW_STATS, type FeatureSelection, type SnapshotField, type WindowStat } from '../output.js';
import { commandConfig, durationFlag, pumpRange, reportStats, requireEvents } from './replay-input.js';
import { replayFromArgs } from './replay-args.js';
import { TIME_RANGE_FLAGS, timeRangeArgs } from '../time-range-flags.js';
import { inTimeRange, type TimeRange } from '../../core/time-range.js';
import { groupedNumber } from '../../core/grouped-number.js';

export const featuresCommand: Command = {
  name: 'features',
  summary: "replay recorded data and write every market's features as JSON lines or an Arrow file",
  examples: [
    'coinrx features --data ../shared/data/candles/binance-spot-2021-5m --every 5m --out features.jsonl',
    'coinrx features --data ../shared/data/candles/binance-spot-2021-5m --every 1h --windows 1h,1d --fields price,vwap,volume --out features.arrow',
    'coinrx features --data ../shared/data/trades/binance_spot_BTCUSDT_trades_2021-01-08.csv --market BTC/USDT --every 1s',
  ],
  flags: {
    ...DATA_FLAGS,
    ...BROKEN_FILE_FLAGS,
    every: { type: 'string', valueName: 'duration', description: 'snapshot cadence in event time (default: features.every, 1m)' },
    out: { type: 'string', valueName: 'file', description: 'output file: .arrow writes an Arrow IPC file (pandas.read_feather, polars.read_ipc), anything else JSON lines (default: stdout)' },
    windows: { type: 'list', valueName: 'w,w', description: `windows to write (default all: ${WINDOWS.join(',')})` },
    fields: { type: 'list', valueName: 'f,f', description: `fields to write besides market and ts (default all: ${[...SNAPSHOT_FIELDS.filter((f) => f !== 'windows'), ...WINDOW_STATS].join(',')})` },
    ...TIME_RANGE_FLAGS,
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    // Events before the range warm the windows up; only snapshots inside it are written.
    const range = timeRangeArgs(args);
    const selection = selectionFromArgs(args);
    const config = commandConfig(args, io);
    const source = replayFromArgs(args, io);
    const everyMs = durationFlag(args, 'every') ?? config.features.every;
    const path = args.strings.get('out');
    prepareOutputFile(path);
    const estimate = estimateSnapshots(args.lists.get('data') ?? [], everyMs, range);
    const events$ = new Subject<MarketEvent>();
    const pipeline = marketPipeline(events$, config, { everyMs });
    const out = await featureWriter(path, io.stdout, selection);
    let told = false;
    const tellSize = async (): Promise<void> => {
      await out.drain();
      const perLine = out.bytesPerLine();
      if (told || perLine === undefined) return;
      told = true;
      const estimated = await estimate;
      if (estimated === undefined) return;
      const { snapshots, wholeData, perRecord } = estimated;
      const basis = wholeData
        ? "estimated from the input's size, all of it: the time range writes only its part"
        : perRecord
          ? "estimated from the input's size, one a trade or record: fewer when several fall between snapshots"
          : "estimated from the input's size";
      io.stderr.write(`features: ${wholeData || perRecord ? 'at most' : 'about'} ${groupedNumber(snapshots)} snapshots × ${Math.round(perLine)} bytes ≈ ${megabytes(snapshots * perLine)} to ${path ?? 'stdout'} (${basis}; --windows and --fields write less)\n`);
    };
    pipeline.batches$.subscribe((batch) => {
      if (inTimeRange(range, batch.ts)) for (const snapshot of batch.snapshots) out.write(snapshot);
    });
    let late = 0;
    try {
      late = await pumpRange(range, source, events$, io, tellSize);
    } finally {
      // Also on a bad file mid-read: what was computed is written and the writer's thread ends.
      await out.close();
    }
    reportStats(source, io, `${out.lines} snapshots written; ${pipeline.counters.dedupe.duplicates} duplicate events dropped${late > 0 ? `; ${late} event(s) older than the one before them fed at the later time, as a backtest feeds them` : ''}`);
    requireEvents(source);
    return 0;
  },
};

/** Where the snapshots go: JSON lines (to a file through a worker thread, else here) or an Arrow file. */
interface FeatureWriter {
  readonly lines: number;
  write(s: FeatureSnapshot): void;
  drain(): Promise<void>;
  close(): Promise<void>;
  /** Bytes a snapshot takes, once known. */
  bytesPerLine(): number | undefined;
}

async function featureWriter(path: string | undefined, stdout: Writable, selection: FeatureSelection): Promise<FeatureWriter> {
  if (path !== undefined && path.endsWith('.arrow')) {
    const arrow = new (await import('../arrow-feature-writer.js')).ArrowFeatureWriter(path, selection);
    // Eight bytes a number and the timestamp; the market name about sixteen with its offset.
    return Object.assign(arrow, { bytesPerLine: () => (arrow.lines > 0 ? 8 * (1 + columnsPerRow(selection)) + 16 : undefined) });
  }
  if (path !== undefined && path !== '-') {
    const parallel = new ParallelJsonWriter(path, selection);
    return Object.assign(parallel, { bytesPerLine: () => (parallel.writtenLines > 0 ? parallel.chars / parallel.writtenLines : undefined) });
  }
  const lines = new LineWriter(undefined, stdout);
  const serialize = snapshotSerializer(selection);
  return {
    get lines() {
      return lines.lines;
    },
    write: (s) => lines.writeLine(serialize(s)),
    drain: () => lines.drain(),
    close: () => lines.close(),
    bytesPerLine: () => (lines.chars > 0 ? lines.chars / lines.lines : undefined),
  };
}

/** Values (e.g. `--windows 1m,1h 1d`): commas and spaces alike. */
function listValues(args: ParsedArgs, name: string): string[] | undefined {
  const values = args.lists.get(name);
  return values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** `--windows` and `--fields`, checked: an unknown name is an error that lists the known ones. */
export function selectionFromArgs(args: ParsedArgs): FeatureSelection {
  const windowNames = listValues(args, 'windows');
  const fieldNames = listValues(args, 'fields');
  for (const w of windowNames ?? []) if (!(w in WINDOW_MS)) throw new UsageError(`--windows: unknown window "${w}" (known: ${WINDOWS.join(', ')})`);
  const known: readonly string[] = [...SNAPSHOT_FIELDS.filter((f) => f !== 'windows'), ...WINDOW_STATS];
  for (const f of fieldNames ?? []) if (!known.includes(f)) throw new UsageError(`--fields: unknown field "${f}" (known: ${known.join(', ')}; market and ts are always written)`);
  if (windowNames?.length === 0) throw new UsageError('--windows needs at least one window');
  if (fieldNames?.length === 0) throw new UsageError('--fields needs at least one field');
  const stats = fieldNames === undefined ? WINDOW_STATS : WINDOW_STATS.filter((s) => fieldNames.includes(s));
  if (windowNames !== undefined && stats.length === 0) throw new UsageError(`--windows: no window value among --fields (add one of ${WINDOW_STATS.join(', ')})`);
  const fields = SNAPSHOT_FIELDS.filter((f) => (f === 'windows' ? stats.length > 0 : fieldNames === undefined || fieldNames.includes(f)));
  return { fields, windows: WINDOWS.filter((w) => windowNames === undefined || windowNames.includes(w)), stats: stats as readonly WindowStat[] };
}

function columnsPerRow(selection: FeatureSelection): number {
  const singles = selection.fields.filter((f): f is SnapshotField => f !== 'windows' && f !== 'regime' && f !== 'touch').length;
  return singles + (selection.fields.includes('windows') ? selection.windows.length * selection.stats.length : 0) + (selection.fields.includes('regime') ? 4 : 0) + (selection.fields.includes('touch') ? 4 : 0);
}

/**
 * Snapshots to expect: one per input record, or per candle and cadence when the file name gives the
 * candle (a 5m file at --every 1h: one in twelve), and no more than a closed time range holds at that
 * pace. `wholeData` when a range could not be applied (an open end, a file of trades): the count is
 * then the whole data's, an upper bound. `perRecord` when a file names no candle (trades, captures): one
 * a record is an upper bound too (a second's trades make one snapshot at --every 1s). Undefined when a
 * file is not line by line.
 */
async function estimateSnapshots(paths: readonly string[], everyMs: number, range: TimeRange): Promise<{ snapshots: number; wholeData: boolean; perRecord: boolean } | undefined> {
  const spanMs = range.from !== undefined && range.to !== undefined ? range.to - range.from : undefined;
  try {
    let total = 0;
    let wholeData = false;
    let perRecord = false;
    for (const { file } of await expandPaths(paths)) {
      const records = await estimateRecords(file);
      if (records === undefined) return undefined;
      const candleMs = hintsFromFileName(basename(file)).timeframeMs;
      perRecord ||= candleMs === undefined;
      const all = candleMs === undefined ? records : records * Math.min(1, candleMs / everyMs);
      if (spanMs !== undefined && candleMs !== undefined) total += Math.min(all, spanMs / Math.max(candleMs, everyMs));
      else {
        total += all;
        wholeData ||= range.from !== undefined || range.to !== undefined;
      }
    }
    return { snapshots: Math.round(total), wholeData, perRecord };
  } catch {
    // The replay reports a missing or unreadable file in its own words.
    return undefined;
  }
}

function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(0.1, bytes / 1e6).toFixed(1)} MB`;
}

