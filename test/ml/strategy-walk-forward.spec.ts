import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Random } from '../../src/core/random.js';
import { pairedBlockBootstrap } from '../../src/ml/bootstrap.js';
import { dailySharpe, foldTable, maxDrawdownOf, sharpeInterval, type PolicySeries, type StrategyWalkForward } from '../../src/ml/strategy-walk-forward.js';
import { captureIo } from '../helpers/capture-io.js';

const DAY = 86_400_000;
const golden = new URL('../golden/candles', import.meta.url).pathname;
const goldenConfig = new URL('../golden/config.json', import.meta.url).pathname;

describe('the walk-forward fold table', () => {
  const r = new Random(5);
  const days = Array.from({ length: 30 }, (_, i) => 18_000 + i);
  const noise = (): number[] => days.map(() => r.normal() * 0.01);
  const a = noise();
  const b = noise();
  const series: PolicySeries[] = [
    { name: 'mine', daily: a, tradeTimes: [days[0] as number, (days[3] as number) + 0.5, (days[13] as number) + 0.99, (days[14] as number) + 0.1, (days[29] as number) + 0.7].map((d) => d * DAY) },
    { name: 'other', daily: b },
    { name: 'cash', daily: days.map(() => 0) },
  ];
  const { folds, whole } = foldTable(series, days, 14, 1000, 3);

  it('cuts consecutive folds of whole days, the last one shorter, and a whole-span row', () => {
    expect(folds.map((f) => f.days)).toEqual([14, 14, 2]);
    expect(folds.map((f) => f.span.from)).toEqual([days[0], days[14], days[28]].map((d) => (d as number) * DAY));
    expect((folds[2] as (typeof folds)[number]).span.to).toBe(((days[29] as number) + 1) * DAY);
    expect(whole.days).toBe(30);
    expect(whole.fold).toBe(0);
  });

  it('gives each fold the compounded return, the daily Sharpe, the drawdown and the trades closed in it (brute force)', () => {
    for (const f of folds) {
      const a0 = (f.span.from / DAY) - (days[0] as number);
      const slice = a.slice(a0, a0 + f.days);
      const mine = f.figures[0] as (typeof f.figures)[number];
      expect(mine.return).toBeCloseTo(slice.reduce((p, x) => p * (1 + x), 1) - 1, 12);
      const mean = slice.reduce((s, x) => s + x, 0) / slice.length;
      const sd = Math.sqrt(slice.reduce((s, x) => s + (x - mean) ** 2, 0) / (slice.length - 1));
      expect(mine.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(365), 10);
      // Drawdown from the daily closes (no intraday equity given): the fold's worst fall from a running peak.
      let eq = 1;
      let peak = 1;
      let dd = 0;
      for (const x of slice) {
        eq *= 1 + x;
        peak = Math.max(peak, eq);
        dd = Math.max(dd, 1 - eq / peak);
      }
      expect(mine.maxDrawdown).toBeCloseTo(dd, 12);
      expect((f.figures[2] as (typeof f.figures)[number]).return).toBe(0);
      expect((f.figures[1] as (typeof f.figures)[number]).trades).toBeNull();
    }
    expect(folds.map((f) => (f.figures[0] as (typeof f.figures)[number]).trades)).toEqual([3, 1, 1]);
    expect((whole.figures[0] as (typeof whole.figures)[number]).trades).toBe(5);
    expect((whole.figures[0] as (typeof whole.figures)[number]).return).toBeCloseTo(a.reduce((p, x) => p * (1 + x), 1) - 1, 12);
  });

  it('pairs the first policy with every other on the fold\'s own days', () => {
    const f = folds[1] as (typeof folds)[number];
    expect(f.comparisons.map((c) => c.against)).toEqual(['other', 'cash']);
    expect(f.comparisons[0]?.interval).toEqual(pairedBlockBootstrap(a.slice(14, 28), b.slice(14, 28), { seed: 3 }));
    expect(f.comparisons[1]?.interval.mean).toBeCloseTo(a.slice(14, 28).reduce((s, x) => s + x, 0) / 14, 12);
  });

  it('refuses series of another length than the days', () => {
    expect(() => foldTable([{ name: 'x', daily: [0.1] }], days, 14, 1000, 1)).toThrow('x has 1 daily returns for 30 days');
  });
});

describe('the figures', () => {
  it('max drawdown is the worst fall from a running peak', () => {
    expect(maxDrawdownOf([100, 120, 90, 130, 104, 140])).toBeCloseTo(0.25, 12);
    expect(maxDrawdownOf([1, 2, 3])).toBe(0);
  });

  it('Sharpe is 0 for flat returns; its interval is seeded and excludes zero only for a clear edge', () => {
    expect(dailySharpe([0, 0, 0])).toBe(0);
    const r = new Random(9);
    const edge = Array.from({ length: 90 }, () => 0.01 + r.normal() * 0.01);
    const none = Array.from({ length: 90 }, () => r.normal() * 0.01);
    const e = sharpeInterval(edge, 1);
    expect(e.sharpe).toBeCloseTo(dailySharpe(edge), 12);
    expect(e.low).toBeGreaterThan(0);
    expect(e.low).toBeLessThan(e.sharpe);
    expect(e.high).toBeGreaterThan(e.sharpe);
    const n = sharpeInterval(none, 1);
    expect(n.low).toBeLessThan(0);
    expect(n.high).toBeGreaterThan(0);
    expect(sharpeInterval(none, 1)).toEqual(n);
    expect(Number.isNaN(sharpeInterval([0.1], 1).low)).toBe(true);
  });
});

describe('coinrx ranker walk-forward', () => {
  it('tables the configured strategy fold by fold; its row is the backtest of the same span', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-wf-'));
    const run = captureIo();
    expect(await main(['ranker', 'walk-forward', '--data', golden, '--config', goldenConfig, '--fold', '1d', '--out', out], run.io)).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'walk-forward.json'), 'utf8')) as StrategyWalkForward;
    // The data starts 2024-01-01: that day warms the features up; trading from 2024-01-02 in folds of a day.
    expect(report.span.from).toBe(Date.UTC(2024, 0, 2));
    expect(report.folds.map((f) => f.days)).toEqual(report.folds.map(() => 1));
    expect(report.whole.figures.map((f) => f.name)).toEqual(['default strategy', 'momentum ranking', 'most-volatile ranking', 'random ranking', 'cash', 'buy-and-hold']);
    expect(report.whole.comparisons.map((c) => c.against)).toEqual(['momentum ranking', 'most-volatile ranking', 'random ranking', 'cash', 'buy-and-hold']);
    const mine = report.whole.figures[0] as StrategyWalkForward['whole']['figures'][number];
    expect(mine.trades).toBe(report.runs['default strategy']?.['trades']);
    expect(report.folds.reduce((s, f) => s + (f.figures[0]?.trades ?? 0), 0)).toBe(mine.trades);
    expect(report.folds.reduce((p, f) => p * (1 + (f.figures[0]?.return ?? 0)), 1) - 1).toBeCloseTo(mine.return, 12);
    // The default strategy's row is what `coinrx backtest` of the same span makes.
    const bt = captureIo();
    const btOut = join(out, 'bt');
    expect(await main(['backtest', '--data', golden, '--config', goldenConfig, '--from', '2024-01-02', '--out', btOut], bt.io)).toBe(0);
    const summary = (JSON.parse(readFileSync(join(btOut, 'summary.json'), 'utf8')) as { statistics: { totalReturn: number; trades: number } }).statistics;
    expect(summary.trades).toBeGreaterThan(0);
    expect(mine.trades).toBe(summary.trades);
    expect(mine.return).toBeCloseTo(summary.totalReturn, 10);
    expect(run.out()).toContain('the default strategy per fold:');
    expect(run.out()).toMatch(/^all\s+2024-01-02 … /m);
    expect(readFileSync(join(out, 'walk-forward.html'), 'utf8')).toContain('<h2>the default strategy minus each other policy, pp a day (95% CI)</h2>');
  });

  it('refuses a fold that is not whole days and a --model, in one line', async () => {
    const bad = captureIo();
    expect(await main(['ranker', 'walk-forward', '--data', golden, '--fold', '12h'], bad.io)).toBe(2);
    expect(bad.err()).toContain('--fold must be a whole number of days');
    const model = captureIo();
    expect(await main(['ranker', 'walk-forward', '--data', golden, '--model', 'models/'], model.io)).toBe(2);
    expect(model.err()).toContain('--model does not apply to ranker walk-forward');
  });
});
