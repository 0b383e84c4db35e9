import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/ml/dataset.js';
import { selectRows } from '../../src/ml/samples.js';
import { testStart, walkForwardFolds } from '../../src/ml/splits.js';

const H = 12 * 3_600_000;
const DAY = 86_400_000;

describe('walk-forward splits', () => {
  const span = { from: 0, to: 60 * DAY };
  const folds = walkForwardFolds({ span, folds: 3, validationMs: 10 * DAY, horizonMs: H, purgeMs: H, embargoMs: DAY });

  it('tile the end of the span with validation blocks, oldest first, each after its training span', () => {
    expect(folds.map((f) => f.validation)).toEqual([
      { from: 30 * DAY, to: 40 * DAY },
      { from: 40 * DAY, to: 50 * DAY },
      { from: 50 * DAY, to: 60 * DAY },
    ]);
    for (const f of folds) {
      expect(f.train.from).toBe(0);
      // Purge (≥ H: training labels cannot read validation prices) plus embargo between them.
      expect(f.validation.from - f.train.to).toBe(H + DAY);
    }
  });

  it('refuse a purge shorter than the horizon and spans too short for the folds', () => {
    expect(() => walkForwardFolds({ span, folds: 1, validationMs: DAY, horizonMs: H, purgeMs: H - 1, embargoMs: 0 })).toThrow(/shorter than the label horizon/);
    expect(() => walkForwardFolds({ span, folds: 6, validationMs: 10 * DAY, horizonMs: H, purgeMs: H, embargoMs: DAY })).toThrow(/no training data: the span \(\d+ h\) is too short for 6 validation block\(s\) of 240 h plus the 36 h purge and embargo/);
  });

  it('with a least training span, drop the oldest folds that would train on less (at least one stays), keeping the latest blocks', () => {
    const base = { span, validationMs: 7 * DAY, horizonMs: H, purgeMs: H, embargoMs: DAY };
    const all = walkForwardFolds({ ...base, folds: 6 });
    const capped = walkForwardFolds({ ...base, folds: 6, minTrainMs: 20 * DAY });
    expect(capped.length).toBeLessThan(all.length);
    expect(capped.length).toBeGreaterThan(0);
    // The kept folds are the latest ones, unchanged; the first of them trains on ≥ 20 days, one more would not.
    expect(capped).toEqual(all.slice(all.length - capped.length));
    const first = capped[0] as (typeof capped)[number];
    expect(first.train.to - first.train.from).toBeGreaterThanOrEqual(20 * DAY);
    const dropped = all[all.length - capped.length - 1] as (typeof all)[number];
    expect(dropped.train.to - dropped.train.from).toBeLessThan(20 * DAY);
    // A span too short for even one fold of that length still gives the one latest fold.
    expect(walkForwardFolds({ ...base, folds: 6, minTrainMs: 1000 * DAY })).toEqual(all.slice(-1));
  });

  it('select training rows whose label window ends before the validation block, in time order, never shuffled', () => {
    const every = 300_000;
    const rows = 60 * DAY / every;
    const ts = Float64Array.from({ length: rows }, (_, i) => i * every);
    const d = { rows, ts, label: new Int8Array(rows).fill(1) } as unknown as Dataset;
    for (const f of folds) {
      const train = selectRows(d, f.train, { everyMs: every, stride: 3 });
      const val = selectRows(d, f.validation, { everyMs: every });
      const last = ts[train[train.length - 1] as number] as number;
      expect(last + H).toBeLessThan(f.validation.from);
      expect(f.validation.from - (last + H)).toBeGreaterThanOrEqual(DAY);
      expect([...train]).toEqual([...train].sort((x, y) => x - y));
      expect(ts[val[0] as number]).toBe(f.validation.from);
      for (const r of train) expect(Math.round((ts[r] as number) / every) % 3).toBe(0);
    }
    // The test span of a model starts a purge and an embargo after its validation.
    expect(testStart(60 * DAY, H, DAY)).toBe(60 * DAY + H + DAY);
  });
});
