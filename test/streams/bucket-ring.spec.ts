import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/index.js';
import { BucketRing } from '../../streams/index.js';

interface Print {
  readonly ts: number;
  readonly volume: number;
  readonly value: number;
}

/** Sums over the prints of buckets (b − n, b] where b is the bucket holding `ts` (BucketRing's window rule). */
function brute(prints: readonly Print[], ts: number, resolutionMs: number, n: number): [number, number, number] {
  const b = Math.ceil(ts / resolutionMs) - 1;
  let volume = 0;
  let value = 0;
  let trades = 0;
  for (const p of prints) {
    const k = Math.ceil(p.ts / resolutionMs) - 1;
    if (k > b - n && k <= b) {
      volume += p.volume;
      value += p.value;
      trades++;
    }
  }
  return [volume, value, trades];
}

function close(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

describe('BucketRing', () => {
  it('reads every window like direct sums over its buckets: dense runs, gaps shorter and longer than the windows, the queue growing and wrapping', () => {
    const random = new Random(19);
    const resolutionMs = 1000;
    const windows = [1, 3, 7, 40, 200];
    const ring = new BucketRing(resolutionMs, windows);
    const prints: Print[] = [];
    const out: number[] = [];
    let ts = 1_700_000_000_000;
    let checks = 0;
    for (let i = 0; i < 6000; i++) {
      // Mostly small steps (several prints a bucket, consecutive buckets), sometimes gaps past some or all windows.
      const r = random.next();
      ts += r < 0.5 ? Math.floor(random.next() * 400) : r < 0.9 ? Math.floor(random.next() * 5000) : r < 0.98 ? Math.floor(random.next() * 60_000) : Math.floor(random.next() * 400_000);
      const volume = Math.round(random.next() * 1e6) / 1e4;
      const value = volume * (100 + random.next());
      ring.advanceTo(ts);
      ring.add(volume, value);
      prints.push({ ts, volume, value });
      ring.readAll(out, 0);
      windows.forEach((n, w) => {
        const [volume, value, trades] = brute(prints, ts, resolutionMs, n);
        if (!close(out[3 * w] as number, volume) || !close(out[3 * w + 1] as number, value) || out[3 * w + 2] !== trades) {
          throw new Error(`window of ${n} buckets at print ${i}: [${out.slice(3 * w, 3 * w + 3).join(', ')}] against [${volume}, ${value}, ${trades}]`);
        }
        checks++;
      });
      // Drop what no window reaches any more, so the reference stays cheap.
      let keep = 0;
      while ((prints[keep] as Print).ts < ts - (Math.max(...windows) + 1) * resolutionMs) keep++;
      prints.splice(0, keep);
    }
    expect(checks).toBe(6000 * windows.length);
  });

  it('empties a window exactly (zero sums, not rounding left-overs) once its last bucket has left', () => {
    const ring = new BucketRing(1000, [2, 5]);
    const out: number[] = [];
    ring.advanceTo(1000);
    ring.add(0.1, 0.1 * 3);
    ring.advanceTo(2000);
    ring.add(0.2, 0.2 * 7);
    ring.advanceTo(3000);
    ring.add(0.3, 0.3 * 11);
    ring.advanceTo(9000);
    ring.readAll(out, 0);
    expect(out).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
