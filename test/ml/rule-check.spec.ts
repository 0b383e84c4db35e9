import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import type { Dataset } from '../../src/ml/dataset.js';
import { FEATURE_COUNT } from '../../src/ml/feature-vector.js';
import { checkAgainstRules } from '../../src/ml/train.js';

/** Ten days of hourly steps over ten markets; labels drawn at random, the rules' scores unrelated to them. */
function validationBlock(seed: number): Dataset {
  const random = new Random(seed);
  const days = 10;
  const steps = days * 24;
  const markets = 10;
  const rows = steps * markets;
  const ts = new Float64Array(rows);
  const market = new Int32Array(rows);
  const label = new Int8Array(rows);
  const x = new Float32Array(rows * FEATURE_COUNT);
  const heuristic = new Float32Array(rows);
  const momentum = new Float32Array(rows);
  for (let s = 0; s < steps; s++) {
    for (let m = 0; m < markets; m++) {
      const r = s * markets + m;
      ts[r] = Date.UTC(2021, 0, 1) + s * 3_600_000;
      market[r] = m;
      label[r] = random.next() < 0.4 ? 1 : -1;
      for (let j = 0; j < FEATURE_COUNT; j++) x[r * FEATURE_COUNT + j] = random.normal();
      heuristic[r] = random.normal();
      momentum[r] = random.normal();
    }
  }
  return { markets: [], rows, ts, market, price: new Float64Array(rows), x, prev: new Int32Array(rows).fill(-1), label, timeMs: new Float32Array(rows), heuristic, momentum, firstTs: ts[0] as number, lastTs: ts[rows - 1] as number, stats: {} as Dataset['stats'] };
}

describe('model selection against the simple rules', () => {
  const d = validationBlock(3);
  const all = Int32Array.from({ length: d.rows }, (_, i) => i);

  it('ranks with the network when it beats the best rule day after day', () => {
    // A score that knows the label, blurred so it is not perfect.
    const random = new Random(5);
    const scores = Float32Array.from(all, (r) => (d.label[r] === 1 ? 1 : 0) + random.next() * 0.8);
    const check = checkAgainstRules(d, all, scores, 1);
    expect(check.model).toBeGreaterThan(check.rules[check.best] as number);
    expect(check.interval.n).toBe(10);
    expect(check.interval.low).toBeGreaterThan(0);
    expect(check.ranksWith).toBe('model');
  });

  it('keeps the best rule when the network is ahead on validation by chance only', () => {
    // Pure noise: whichever comes out ahead on the block, the interval of the difference holds zero.
    let aheadByChance = 0;
    for (let seed = 11; seed < 21; seed++) {
      const random = new Random(seed);
      const scores = Float32Array.from(all, () => random.next());
      const check = checkAgainstRules(d, all, scores, 1);
      if (check.model > (check.rules[check.best] as number)) aheadByChance++;
      expect(check.interval.low).toBeLessThan(0);
      expect(check.ranksWith).toBe(check.best);
    }
    // Some of the noise scores beat the best rule's precision on the block: a bare comparison would have ranked with them.
    expect(aheadByChance).toBeGreaterThan(0);
  });
});
