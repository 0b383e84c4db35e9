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

/**
 * Keeps, in every batch, only the markets that pass the thresholds (a batch may become empty). A batch
 * where every market passes goes on as it is (batches are read-only): no copy a batch, a second.
 */
export function volumeFilter(options: VolumeFilterOptions): OperatorFunction<FeatureBatch, FeatureBatch> {
  return map((batch) => {
    const snapshots = batch.snapshots;
    let i = 0;
    while (i < snapshots.length && passesVolumeFilter(snapshots[i] as FeatureSnapshot, options)) i++;
    if (i === snapshots.length) return batch;
    const kept = snapshots.slice(0, i);
    for (i++; i < snapshots.length; i++) if (passesVolumeFilter(snapshots[i] as FeatureSnapshot, options)) kept.push(snapshots[i] as FeatureSnapshot);
    return { ts: batch.ts, snapshots: kept };
  });
}
