import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { sampleTrials } from '../../src/optimize/sample-trials.js';
import { configWith, loadSearchSpace, parseSearchSpace } from '../../src/optimize/search-space.js';

const base = parseConfig({});

function problem(raw: unknown): string {
  try {
    parseSearchSpace(raw, base, 'space.json');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the space to be refused');
}

describe('search space', () => {
  it('names the bad path, with the near miss or the reason', () => {
    expect(problem({ 'strategy.takeprofit': { min: 0.01, max: 0.02 } })).toBe('space.json: "strategy.takeprofit": not a configuration field (did you mean strategy.takeProfit?)');
    expect(problem({ 'simulator.feeRate': { min: 0, max: 0.01 } })).toMatch(/^space\.json: "simulator\.feeRate": not searchable: the simulator describes the exchange/);
    expect(problem({ strategy: { min: 0, max: 1 } })).toMatch(/^space\.json: "strategy": not a searchable configuration field/);
    expect(problem({ 'allocation.bogus': { min: 0, max: 1 } })).toMatch(/"allocation\.bogus": not a configuration field \(known: mode, maxPositions, maxPerCoin, cashReserve, drawdownScaling\)/);
    expect(problem({ 'strategy.takeProfit': { min: 0.05, max: 0.01 } })).toBe('space.json: "strategy.takeProfit": min 0.05 is above max 0.01');
    expect(problem({ 'strategy.takeProfit': { min: 0, max: 0.01 } })).toMatch(/^space\.json: "strategy\.takeProfit\.min": 0 is rejected by the configuration: /);
    expect(problem({ 'strategy.takeProfit': { min: 'abc', max: 0.01 } })).toMatch(/"strategy\.takeProfit\.min": expected a number or a duration/);
    expect(problem({ 'allocation.mode': { choices: ['equal', 'bogus'] } })).toMatch(/^space\.json: "allocation\.mode\.choices\[1\]": "bogus" is rejected by the configuration/);
    expect(problem({ 'allocation.mode': { choices: [] } })).toBe('space.json: "allocation.mode.choices": expected a non-empty array');
    expect(problem({ 'strategy.takeProfit': { min: 0.01 } })).toMatch(/needs both "min" and "max"/);
    expect(problem({ 'strategy.takeProfit': { min: 0.01, max: 0.02, steps: 3 } })).toMatch(/"strategy\.takeProfit\.steps": unknown key/);
    expect(problem({ 'filter.minValue1d': { min: 0, max: 10, log: true } })).toMatch(/"filter\.minValue1d\.log": a log range needs min > 0/);
    expect(problem({ 'allocation.maxPositions': { min: 1.5, max: 4 } })).toMatch(/allocation\.maxPositions/);
    expect(problem([])).toMatch(/^space\.json: expected a JSON object/);
    expect(problem({})).toBe('space.json: no parameters to search');
  });

  it('reads a file, refusing unreadable or broken JSON by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-space-'));
    const good = join(dir, 'space.json');
    writeFileSync(good, JSON.stringify({ 'strategy.maxHold': { min: '1h', max: '12h' }, 'allocation.maxPositions': { min: 1, max: 6 } }));
    const space = loadSearchSpace(good, base);
    expect(space.parameters).toEqual([
      { kind: 'range', path: 'strategy.maxHold', min: 3_600_000, max: 43_200_000, log: false, integer: false },
      { kind: 'range', path: 'allocation.maxPositions', min: 1, max: 6, log: false, integer: true },
    ]);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"strategy.takeProfit": {');
    expect(() => loadSearchSpace(broken, base)).toThrow(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON`));
    expect(() => loadSearchSpace(join(dir, 'missing.json'), base)).toThrow(/missing\.json: cannot read \(ENOENT\)/);
  });

  it('samples the same trials for the same seed, inside the bounds, on the grid', () => {
    const space = parseSearchSpace(
      {
        'strategy.takeProfit': { min: 0.005, max: 0.04 },
        'filter.minValue1d': { min: 1000, max: 1_000_000, log: true },
        'allocation.maxPositions': { min: 2, max: 5 },
        'strategy.chaseTicks': { min: 10, max: 50, step: 10 },
        'allocation.cashReserve': { min: 0, max: 0.2, step: 0.05 },
        'allocation.mode': { choices: ['equal', 'score', 'volatility'] },
      },
      base,
    );
    const a = sampleTrials(space, 400, 7);
    expect(sampleTrials(space, 400, 7)).toEqual(a);
    expect(sampleTrials(space, 400, 8)).not.toEqual(a);
    const seen = { positions: new Set<unknown>(), ticks: new Set<unknown>(), reserve: new Set<unknown>(), mode: new Set<unknown>() };
    let lowValue = 0;
    for (const t of a) {
      const tp = t['strategy.takeProfit'] as number;
      expect(tp).toBeGreaterThanOrEqual(0.005);
      expect(tp).toBeLessThanOrEqual(0.04);
      const v = t['filter.minValue1d'] as number;
      expect(v).toBeGreaterThanOrEqual(1000);
      expect(v).toBeLessThanOrEqual(1_000_000);
      if (v < 31_623) lowValue++;
      seen.positions.add(t['allocation.maxPositions']);
      seen.ticks.add(t['strategy.chaseTicks']);
      seen.reserve.add(t['allocation.cashReserve']);
      seen.mode.add(t['allocation.mode']);
      // Every trial is a valid configuration.
      expect(() => configWith(base, t)).not.toThrow();
    }
    // Log-uniform: about half the draws fall below the geometric middle √(1000·1e6) ≈ 31,623.
    expect(lowValue / a.length).toBeGreaterThan(0.4);
    expect(lowValue / a.length).toBeLessThan(0.6);
    expect([...seen.positions].sort()).toEqual([2, 3, 4, 5]);
    expect([...seen.ticks].sort((x, y) => (x as number) - (y as number))).toEqual([10, 20, 30, 40, 50]);
    expect([...seen.reserve].sort()).toEqual([0, 0.05, 0.1, 0.15, 0.2]);
    expect([...seen.mode].sort()).toEqual(['equal', 'score', 'volatility']);
  });

  it('applies values at their paths and validates the result', () => {
    const c = configWith(base, { 'strategy.takeProfit': 0.03, 'allocation.mode': 'score', 'strategy.maxHold': '2h' });
    expect(c.strategy.takeProfit).toBe(0.03);
    expect(c.allocation.mode).toBe('score');
    expect(c.strategy.maxHold).toBe(7_200_000);
    expect(c.strategy.stopLoss).toBe(base.strategy.stopLoss);
    expect(() => configWith(base, { 'strategy.takeProfit': -1 })).toThrow(/strategy\.takeProfit/);
  });
});
