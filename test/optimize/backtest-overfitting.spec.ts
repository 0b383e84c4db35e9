import { describe, expect, it } from 'vitest';
import { defaultBlocks, probabilityOfBacktestOverfitting } from '../../src/optimize/backtest-overfitting.js';
import { sharpeRatio } from '../../src/optimize/return-statistics.js';

/** A series of blocks of two periods each, every period of block b returning values[b]. */
function flatBlocks(values: readonly number[]): number[] {
  return values.flatMap((v) => [v, v]);
}

/** Two periods a block alternating v + d, v − d (mean v, Sharpe v / (d√2) a block). */
function wobbly(values: readonly number[], d = 0.01): number[] {
  return values.flatMap((v) => [v + d, v - d]);
}

/** CSCV straight from the definition: every split's rows gathered and scored afresh. */
function bruteForce(series: readonly number[][], s: number): number {
  const t = series[0]!.length;
  const len = Math.floor(t / s);
  const drop = t - len * s;
  let overfit = 0;
  let splits = 0;
  const pick = (xs: number[], blocks: number[]): number[] => blocks.flatMap((b) => xs.slice(drop + b * len, drop + (b + 1) * len));
  const combos = (k: number, start: number, acc: number[], out: number[][]): number[][] => {
    if (acc.length === k) out.push([...acc]);
    else for (let b = start; b < s; b++) combos(k, b + 1, [...acc, b], out);
    return out;
  };
  for (const inBlocks of combos(s / 2, 0, [], [])) {
    const outBlocks = [...Array(s).keys()].filter((b) => !inBlocks.includes(b));
    const is = series.map((x) => sharpeRatio(pick(x, inBlocks)));
    const oos = series.map((x) => sharpeRatio(pick(x, outBlocks)));
    const best = is.indexOf(Math.max(...is));
    const below = oos.filter((v, n) => n !== best && v < oos[best]!).length;
    const ties = oos.filter((v, n) => n !== best && v === oos[best]!).length;
    const omega = (1 + below + ties / 2) / (series.length + 1);
    if (Math.log(omega / (1 - omega)) <= 0) overfit++;
    splits++;
  }
  return overfit / splits;
}

describe('probability of backtest overfitting (CSCV)', () => {
  it('is 1 when the in-sample winner always loses out of sample, 0 when one trial dominates', () => {
    // Two halves: A wins the first and loses the second, B the reverse.
    const a = wobbly([0.02, -0.02]);
    const b = wobbly([-0.02, 0.02]);
    expect(probabilityOfBacktestOverfitting([a, b], { blocks: 2 }).pbo).toBe(1);
    const strong = wobbly([0.03, 0.03]);
    const weak = wobbly([0.01, 0.01]);
    const result = probabilityOfBacktestOverfitting([weak, strong], { blocks: 2 });
    expect(result.pbo).toBe(0);
    // ω = 2/3 in both splits: λ = ln 2.
    expect(result.logits).toHaveLength(2);
    for (const l of result.logits) expect(l).toBeCloseTo(Math.log(2), 12);
  });

  it('gives the hand-computed value on three trials and four blocks', () => {
    // Block means (mean metric, blocks of two equal periods):
    //   A: 5, 1, 3, 0.5   B: 1, 4, 0.2, 2   C: 2, 2, 1.5, 1.2
    // in-sample {0,1}: A 6 > B 5 > C 4 → A; out {2,3}: A 3.5, B 2.2, C 2.7 → A best, ω = 3/4, λ = ln 3
    // in {0,2}: A 8 → A; out {1,3}: A 1.5 < C 3.2 < B 6 → ω = 1/4, λ = −ln 3 (overfit)
    // in {1,2}: A 4 < B 4.2 → B; out {0,3}: B 3 < C 3.2 < A 5.5 → ω = 1/4 (overfit)
    // in {0,3}: A 5.5 → A; out {1,2}: C 3.5 < A 4 < B 4.2 → ω = 2/4, λ = 0 (counts as overfit)
    // in {1,3}: B 6 → B; out {0,2}: B 1.2 < C 3.5 < A 8 → ω = 1/4 (overfit)
    // in {2,3}: A 3.5 → A; out {0,1}: C 4 < B 5 < A 6 → ω = 3/4
    // PBO = 4 / 6.
    const a = flatBlocks([5, 1, 3, 0.5]);
    const b = flatBlocks([1, 4, 0.2, 2]);
    const c = flatBlocks([2, 2, 1.5, 1.2]);
    const result = probabilityOfBacktestOverfitting([a, b, c], { blocks: 4, metric: 'mean' });
    expect(result.combinations).toBe(6);
    expect(result.pbo).toBeCloseTo(4 / 6, 15);
    // Splits in mask order: {0,1}=3, {0,2}=5, {1,2}=6, {0,3}=9, {1,3}=10, {2,3}=12.
    const ln3 = Math.log(3);
    const expected = [ln3, -ln3, -ln3, 0, -ln3, ln3];
    result.logits.forEach((l, i) => expect(l).toBeCloseTo(expected[i] as number, 12));
  });

  it('agrees with the definition computed row by row on random trials', () => {
    let state = 7;
    const next = (): number => ((state = (state * 16807) % 2147483647) / 2147483647 - 0.5) * 0.02;
    for (const [trials, periods, blocks] of [[5, 40, 4], [8, 103, 8], [3, 30, 6]] as const) {
      const series = Array.from({ length: trials }, () => Array.from({ length: periods }, next));
      const result = probabilityOfBacktestOverfitting(series, { blocks });
      expect(result.pbo).toBeCloseTo(bruteForce(series, blocks), 12);
      expect(result.periodsDropped).toBe(periods % blocks);
    }
  });

  it('refuses what it cannot compute, saying why', () => {
    expect(() => probabilityOfBacktestOverfitting([[1, 2, 3, 4]], { blocks: 2 })).toThrow(/at least 2 trials/);
    expect(() => probabilityOfBacktestOverfitting([[1, 2], [1, 2]], { blocks: 2 })).toThrow(/too few/);
    expect(() => probabilityOfBacktestOverfitting([[1, 2, 3, 4], [1, 2, 3, 4]], { blocks: 3 })).toThrow(/even/);
    expect(defaultBlocks(2160)).toBe(16);
    expect(defaultBlocks(100)).toBe(4);
    expect(defaultBlocks(10)).toBe(2);
    expect(defaultBlocks(3)).toBeUndefined();
  });
});
