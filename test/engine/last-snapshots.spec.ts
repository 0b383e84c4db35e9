import { describe, expect, it } from 'vitest';
import type { FeatureSnapshot } from '../../src/core/index.js';
import { LastSnapshots } from '../../src/engine/last-snapshots.js';

/** A stand-in snapshot: LastSnapshots reads only the market; `ts` tells which batch it came from. */
const snap = (market: string, ts: number): FeatureSnapshot => ({ market, ts }) as unknown as FeatureSnapshot;

describe('LastSnapshots', () => {
  it('finds each market in the latest batch', () => {
    const last = new LastSnapshots();
    expect(last.find('A/USDT')).toBeUndefined();
    last.note([snap('A/USDT', 1), snap('B/USDT', 1)]);
    last.note([snap('A/USDT', 2), snap('B/USDT', 2)]);
    expect(last.find('A/USDT')?.ts).toBe(2);
    expect(last.find('B/USDT')?.ts).toBe(2);
    expect(last.find('C/USDT')).toBeUndefined();
  });

  it('keeps the last snapshot of a market missing from later batches, and follows one that comes back or moves', () => {
    const last = new LastSnapshots();
    last.note([snap('A/USDT', 1), snap('B/USDT', 1), snap('C/USDT', 1)]);
    last.note([snap('A/USDT', 2), snap('C/USDT', 2)]);
    last.note([snap('A/USDT', 3), snap('C/USDT', 3)]);
    expect(last.find('B/USDT')?.ts).toBe(1);
    expect(last.find('C/USDT')?.ts).toBe(3);
    last.note([snap('C/USDT', 4), snap('B/USDT', 4)]);
    expect(last.find('A/USDT')?.ts).toBe(3);
    expect(last.find('B/USDT')?.ts).toBe(4);
    expect(last.find('C/USDT')?.ts).toBe(4);
    last.note([]);
    expect([last.find('A/USDT')?.ts, last.find('B/USDT')?.ts, last.find('C/USDT')?.ts]).toEqual([3, 4, 4]);
  });
});
