import { describe, expect, it } from 'vitest';
import { WINDOWS, type FeatureSnapshot } from '../../src/core/index.js';
import { MarketState, SnapshotWindows, windowValue, type WindowField } from '../../streams/index.js';

const FIELDS: readonly WindowField[] = ['vwap', 'volume', 'value', 'trades'];

describe('windowValue', () => {
  it("reads each window's figures as the snapshot's WindowStats give them, from a snapshot's windows and from a plain object", () => {
    const state = new MarketState('BTC/USDT');
    const t0 = 1_700_000_000_000;
    // Prints over two days, so the short windows are empty at the end (VWAP falls back to the price) and the long ones are not.
    for (let i = 0; i < 400; i++) state.apply({ kind: 'trade', market: 'BTC/USDT', ts: t0 + i * 397_000, price: 100 + (i % 13), amount: 0.5 + (i % 7) / 10 });
    state.apply({ kind: 'ticker', market: 'BTC/USDT', ts: t0 + 400 * 397_000, price: 120 });
    const snapshot = state.snapshot(t0 + 401 * 397_000 + 3_600_000);
    const plain = JSON.parse(JSON.stringify(snapshot.windows)) as FeatureSnapshot['windows'];
    let empty = 0;
    WINDOWS.forEach((w, i) => {
      if (snapshot.windows[w].volume === 0) empty++;
      for (const field of FIELDS) {
        expect(windowValue(snapshot.windows, i, field)).toBe(snapshot.windows[w][field]);
        expect(windowValue(plain, i, field)).toBe(snapshot.windows[w][field]);
      }
    });
    expect(empty).toBeGreaterThan(0);
    expect(empty).toBeLessThan(WINDOWS.length);
    // copyFigures: the same figures, four a window in WINDOWS order, from where it is told.
    expect(snapshot.windows).toBeInstanceOf(SnapshotWindows);
    const row = new Float64Array(2 + 4 * WINDOWS.length).fill(-1);
    (snapshot.windows as SnapshotWindows).copyFigures(row, 2);
    expect([...row]).toEqual([-1, -1, ...WINDOWS.flatMap((w) => FIELDS.map((f) => snapshot.windows[w][f]))]);
  });
});
