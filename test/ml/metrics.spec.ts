import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { calibrate, fitCalibration } from '../../src/ml/calibration.js';
import { auc, brier, brierSkill, reliability, topPicks } from '../../src/ml/metrics.js';

describe('metrics against hand computations', () => {
  it('AUC counts ordered pairs, ties as one half', () => {
    // Pairs (pos, neg): (0.35, 0.1) ✓, (0.35, 0.4) ✗, (0.8, 0.1) ✓, (0.8, 0.4) ✓ → 3/4.
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    // (0.5, 0.5) ½, (0.5, 0.2) 1, (0.9, 0.5) 1, (0.9, 0.2) 1 → 3.5/4.
    expect(auc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBeCloseTo(0.875, 12);
    expect(auc([1, 1, 1], [1, 0, 1])).toBeCloseTo(0.5, 12);
    expect(auc([1, 2], [1, 1])).toBeNaN();
  });

  it('Brier score and its skill against a base rate', () => {
    // ((0.2)² + (0.3)² + (0.1)²) / 3 = 0.14 / 3.
    expect(brier([0.2, 0.7, 0.9], [0, 1, 1])).toBeCloseTo(0.14 / 3, 12);
    // Reference: always 0.5 → 0.25; skill = 1 − (0.14/3)/0.25.
    expect(brierSkill([0.2, 0.7, 0.9], [0, 1, 1], 0.5)).toBeCloseTo(1 - 0.14 / 3 / 0.25, 12);
    expect(brierSkill([0.5, 0.5], [0, 1], 0.5)).toBeCloseTo(0, 12);
  });

  it('reliability bins', () => {
    const bins = reliability([0.05, 0.15, 0.12, 0.95], [0, 1, 0, 1], 10);
    expect(bins[0]).toMatchObject({ count: 1, meanPredicted: 0.05, observedRate: 0 });
    expect(bins[1]?.count).toBe(2);
    expect(bins[1]?.meanPredicted).toBeCloseTo(0.135, 12);
    expect(bins[1]?.observedRate).toBe(0.5);
    expect(bins[9]).toMatchObject({ count: 1, observedRate: 1 });
    expect(bins[5]?.count).toBe(0);
  });

  it('precision@k per time step and the time to target of the picks', () => {
    // Two time steps of three markets. Step 1 picks market 2 (label +1, 2 h), then market 0 (−1).
    // Step 2 picks market 1 (0), then market 0 (+1, 4 h).
    const scores = [0.5, 0.1, 0.9, 0.6, 0.8, 0.2];
    const labels = [-1, 1, 1, 1, 0, -1];
    const times = [1, 9, 2, 4, 12, 3].map((h) => h * 3_600_000);
    const groups = [1, 1, 1, 2, 2, 2];
    const tie = [0, 1, 2, 0, 1, 2];
    const p1 = topPicks(scores, labels, times, groups, tie, 1);
    expect(p1.precision).toBeCloseTo(0.5, 12);
    expect(p1.meanTimeToTargetMs).toBe(2 * 3_600_000);
    const p2 = topPicks(scores, labels, times, groups, tie, 2);
    expect(p2.precision).toBeCloseTo((1 / 2 + 1 / 2) / 2, 12);
    expect(p2.meanTimeToTargetMs).toBe(3 * 3_600_000);
    expect(p2.stopRate).toBeCloseTo(1 / 4, 12);
    expect(topPicks(scores, labels, times, groups, tie, 4).steps).toBe(0);
  });

  it('Platt calibration recovers a known logistic link and keeps a constant score at the base rate', () => {
    const random = new Random(7);
    const s: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const z = random.normal();
      s.push(3 + 2 * z);
      y.push(random.next() < 1 / (1 + Math.exp(-(1.5 * z - 0.5))) ? 1 : 0);
    }
    const c = fitCalibration(s, y);
    expect(calibrate(c, 3)).toBeCloseTo(1 / (1 + Math.exp(0.5)), 1);
    expect(calibrate(c, 5)).toBeCloseTo(1 / (1 + Math.exp(-1)), 1);
    const flat = fitCalibration([1, 1, 1, 1], [1, 0, 0, 0]);
    expect(calibrate(flat, 1)).toBeCloseTo(0.25, 6);
  });
});
