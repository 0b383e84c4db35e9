import { describe, expect, it } from 'vitest';
import { groupedNumber } from '../../src/core/grouped-number.js';
import { Random } from '../../src/core/random.js';

describe('groupedNumber', () => {
  it('writes what toLocaleString("en-US") writes, integers and fractions, every magnitude', () => {
    const rng = new Random(7);
    const random = (): number => rng.next();
    const values = [0, -0, 1, -1, 999, 1000, 999_999, 1_000_000, 12_345.678, 0.1 + 0.2, 1e-9, -1e-9, 2 ** 53, 1e20, NaN, Infinity, -Infinity];
    for (let i = 0; i < 2000; i++) {
      const magnitude = 10 ** Math.floor(random() * 36 - 10);
      values.push((random() - 0.3) * magnitude, Math.round((random() - 0.3) * magnitude));
    }
    for (const digits of [0, 2, 3, 8]) {
      for (const v of values) expect(groupedNumber(v, digits), `${v} (${digits} digits)`).toBe(v.toLocaleString('en-US', { maximumFractionDigits: digits }));
    }
    expect(groupedNumber(1_234_567)).toBe('1,234,567');
    expect(groupedNumber(10_000.5, 8)).toBe('10,000.5');
  });
});
