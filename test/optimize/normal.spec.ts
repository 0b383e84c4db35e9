import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile } from '../../src/optimize/normal.js';

// Reference values from standard normal tables (R: pnorm / qnorm, 16 digits).
describe('normal distribution', () => {
  it('gives Φ at table values, also far in the tails', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 14);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(normalCdf(3)).toBeCloseTo(0.9986501019683699, 14);
    // pnorm(-6) = 9.865876450376982e-10, pnorm(-10) = 7.619853024160527e-24: relative precision kept.
    expect(normalCdf(-6) / 9.865876450376982e-10).toBeCloseTo(1, 10);
    expect(normalCdf(-10) / 7.619853024160527e-24).toBeCloseTo(1, 10);
  });

  it('inverts Φ to double precision', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.99)).toBeCloseTo(2.3263478740408408, 12);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 9);
    for (let p = 0.001; p < 1; p += 0.0137) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 14);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});
