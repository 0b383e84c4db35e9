import { map, type OperatorFunction } from 'rxjs';
import type { FeatureSnapshot, WindowName } from '../src/core/index.js';
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
  const stats = snapshot.windows[options.window ?? '1d'];
  return stats.value >= (options.minValue ?? 0) && stats.trades >= (options.minTrades ?? 0) && stats.volume >= (options.minVolume ?? 0);
}

/** Keeps, in every batch, only the markets that pass the thresholds (a batch may become empty). */
export function volumeFilter(options: VolumeFilterOptions): OperatorFunction<FeatureBatch, FeatureBatch> {
  return map((batch) => ({ ts: batch.ts, snapshots: batch.snapshots.filter((s) => passesVolumeFilter(s, options)) }));
}
