import type { FileStats } from './file-stats.js';

/**
 * The read's stats as a reader thread sends them with every batch: the counts of every lane in one
 * array, and the rest (names, format, market, lanes, errors) only when it changed; the main thread
 * rebuilds the FileStats when asked.
 */
export interface StatsSnapshot {
  /** The stats whole, when anything but the counts changed since the previous snapshot. */
  readonly shape: FileStats[][] | undefined;
  /** COUNTS numbers a lane, lanes in file order. */
  readonly counts: Float64Array;
}

const COUNTS = 8;

/** Writes snapshots of one read's stats, the shape only when it changed. */
export class StatsSnapshotWriter {
  /** What the last shape sent said of each lane, to tell a change without building anything. */
  #sent: { stats: FileStats; format: FileStats['format']; market: FileStats['market']; lanes: number; error: FileStats['error']; skipped: FileStats['skipped'] }[] = [];

  snapshot(stats: readonly FileStats[][]): StatsSnapshot {
    let lanes = 0;
    for (const group of stats) lanes += group.length;
    const counts = new Float64Array(lanes * COUNTS);
    const sent = this.#sent;
    let changed = lanes !== sent.length;
    let i = 0;
    let lane = 0;
    for (const group of stats) {
      for (const s of group) {
        const was = sent[lane++];
        // A lane's names are set once and its `lanes` list only grows, so identity and length tell a change.
        if (!changed && (was === undefined || was.stats !== s || was.format !== s.format || was.market !== s.market || was.lanes !== s.lanes.length || was.error !== s.error || was.skipped !== s.skipped)) changed = true;
        counts[i] = s.records;
        counts[i + 1] = s.events;
        counts[i + 2] = s.malformed;
        counts[i + 3] = s.ignored;
        counts[i + 4] = s.firstMalformedLine ?? NaN;
        counts[i + 5] = s.outOfOrder;
        counts[i + 6] = s.gaps;
        counts[i + 7] = s.done ? 1 : 0;
        i += COUNTS;
      }
    }
    if (!changed) return { shape: undefined, counts };
    this.#sent = stats.flat().map((s) => ({ stats: s, format: s.format, market: s.market, lanes: s.lanes.length, error: s.error, skipped: s.skipped }));
    return { shape: stats as FileStats[][], counts };
  }
}

/** The stats a snapshot (and the latest shape before it) stand for. */
export function statsFromSnapshot(shape: readonly FileStats[][], counts: Float64Array): FileStats[][] {
  let i = 0;
  return shape.map((group) =>
    group.map((s) => {
      const first = counts[i + 4] as number;
      const rebuilt: FileStats = {
        ...s,
        lanes: [...s.lanes],
        records: counts[i] as number,
        events: counts[i + 1] as number,
        malformed: counts[i + 2] as number,
        ignored: counts[i + 3] as number,
        firstMalformedLine: Number.isNaN(first) ? undefined : first,
        outOfOrder: counts[i + 5] as number,
        gaps: counts[i + 6] as number,
        done: counts[i + 7] === 1,
      };
      i += COUNTS;
      return rebuilt;
    }),
  );
}
