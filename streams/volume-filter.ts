import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import { type FeatureSnapshot, type WindowName, WINDOWS } from '../src/core/index.js';
import { SnapshotWindows, windowValue } from './market-state.js';
import { EventSink } from './event-sink.js';
import type { FeatureBatch } from './feature-snapshots.js';

/** The seed's volume filter: thin coins (low traded volume or value) are not worth ranking. */
export interface VolumeFilterOptions {
  /** Window the thresholds apply to. */
  readonly window?: WindowName;
  /** Minimum traded value (quote currency) in the window. */
  readonly minValue?: number;
  /** Minimum number of trades in the window. */
  readonly minTrades?: number;
  /** Minimum base volume in the window. */
  readonly minVolume?: number;
}

export function passesVolumeFilter(snapshot: FeatureSnapshot, options: VolumeFilterOptions): boolean {
  return passes(snapshot, WINDOWS.indexOf(options.window ?? '1d'), options.minValue ?? 0, options.minTrades ?? 0, options.minVolume ?? 0);
}

/** The thresholds on window i (index in WINDOWS), read without building the window's WindowStats. */
function passes(snapshot: FeatureSnapshot, i: number, minValue: number, minTrades: number, minVolume: number): boolean {
  const windows = snapshot.windows;
  // The class tested once a snapshot, not once a figure as windowValue would.
  if (windows instanceof SnapshotWindows) return windows.atLeast(i, minValue, minTrades, minVolume);
  return windowValue(windows, i, 'value') >= minValue && windowValue(windows, i, 'trades') >= minTrades && windowValue(windows, i, 'volume') >= minVolume;
}

/**
 * Keeps, in every batch, only the markets that pass the thresholds (a batch may become empty). A batch
 * where every market passes goes on as it is (batches are read-only): no copy a batch, a second.
 */
export function volumeFilter(options: VolumeFilterOptions): OperatorFunction<FeatureBatch, FeatureBatch> {
  const w = WINDOWS.indexOf(options.window ?? '1d');
  const minValue = options.minValue ?? 0;
  const minTrades = options.minTrades ?? 0;
  const minVolume = options.minVolume ?? 0;
  return (source) => new Observable<FeatureBatch>((subscriber) => source.subscribe(new FilterSink(subscriber, w, minValue, minTrades, minVolume)));
}

class FilterSink extends EventSink<FeatureBatch, FeatureBatch> {
  readonly #w: number;
  readonly #minValue: number;
  readonly #minTrades: number;
  readonly #minVolume: number;

  constructor(downstream: Subscriber<FeatureBatch>, w: number, minValue: number, minTrades: number, minVolume: number) {
    super(downstream);
    this.#w = w;
    this.#minValue = minValue;
    this.#minTrades = minTrades;
    this.#minVolume = minVolume;
  }

  next(batch: FeatureBatch): void {
    if (this.stopped) return;
    let out: FeatureBatch;
    try {
      out = this.#filter(batch);
    } catch (error: unknown) {
      this.fail(error);
      return;
    }
    this.downstream.next(out);
  }

  #filter(batch: FeatureBatch): FeatureBatch {
    const w = this.#w;
    const minValue = this.#minValue;
    const minTrades = this.#minTrades;
    const minVolume = this.#minVolume;
    const snapshots = batch.snapshots;
    let i = 0;
    while (i < snapshots.length && passes(snapshots[i] as FeatureSnapshot, w, minValue, minTrades, minVolume)) i++;
    if (i === snapshots.length) return batch;
    const kept = snapshots.slice(0, i);
    for (i++; i < snapshots.length; i++) if (passes(snapshots[i] as FeatureSnapshot, w, minValue, minTrades, minVolume)) kept.push(snapshots[i] as FeatureSnapshot);
    return { ts: batch.ts, snapshots: kept };
  }
}
