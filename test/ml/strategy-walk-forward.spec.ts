import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config.js';
import { Random } from '../../src/core/random.js';
import { pairedBlockBootstrap } from '../../src/ml/bootstrap.js';
import { chooseWalkForward, dailySharpe, spliceFolds, foldTable, maxDrawdownOf, sharpeInterval, type PolicySeries, type StrategyWalkForward } from '../../src/ml/strategy-walk-forward.js';
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

describe('the walk-forward choice', () => {
  const days = Array.from({ length: 30 }, (_, i) => 19_000 + i);
  // "early" earns every day of the first ten and loses after; "steady" earns a little every day.
  const early = { label: 'early', daily: days.map((_, i) => (i < 10 ? 0.02 + (i % 3) * 0.005 : -0.01 - (i % 2) * 0.005)) };
  const steady = { label: 'steady', daily: days.map((_, i) => 0.004 + (i % 4) * 0.0002) };

  it('holds cash in the first fold, then takes the best Sharpe of the days before each fold only, when they show it beats cash', () => {
    const choices = chooseWalkForward([early, steady], days, 10, 1);
    expect(choices.map((c) => c.candidate)).toEqual([null, 'steady', 'steady']);
    expect(choices.map((c) => c.pastDays)).toEqual([0, 10, 20]);
    expect(choices[1]?.pastSharpe).toBeCloseTo(dailySharpe(steady.daily.slice(0, 10)), 12);
    expect(choices[2]?.pastSharpe).toBeCloseTo(dailySharpe(steady.daily.slice(0, 20)), 12);
    // The test is the reports' own: the chosen one's past days against cash's zeros, paired, 95 %.
    expect(choices[2]?.pastVsCash).toEqual(pairedBlockBootstrap(steady.daily.slice(0, 20), Array(20).fill(0), { seed: 1 }));
    expect(choices[2]?.pastVsCash?.verdict).toBe('beats');
    // Fold 2 was chosen on days 0–9 only: "early", better there in return but not in Sharpe, loses from day 10 on.
    const onlyEarly = chooseWalkForward([early], days, 10, 1);
    expect(onlyEarly.map((c) => c.candidate)).toEqual([null, 'early', null]);
  });

  it('breaks ties by the order given', () => {
    expect(chooseWalkForward([steady, { ...steady, label: 'twin' }], days, 10, 1)[1]?.candidate).toBe('steady');
  });

  it('holds cash when the best past Sharpe is positive but not shown to beat cash, and names that candidate', () => {
    // Ten noisy days with a positive mean: a Sharpe above 0, an interval that reaches below 0.
    const lucky = { label: 'lucky', daily: [0.03, -0.025, 0.02, -0.02, 0.035, -0.03, 0.01, -0.015, 0.03, -0.02, ...Array(20).fill(0.02)] };
    const flat = { label: 'flat', daily: days.map(() => 0) };
    const choices = chooseWalkForward([flat, lucky], days, 10, 1);
    expect(dailySharpe(lucky.daily.slice(0, 10))).toBeGreaterThan(0);
    expect(choices[1]?.candidate).toBeNull();
    expect(choices[1]?.bestCandidate).toBe('lucky');
    expect(choices[1]?.pastVsCash?.low).toBeLessThan(0);
    expect(choices[0]?.bestCandidate).toBeUndefined();
    // With ten more steady days it has shown an edge and trades.
    expect(choices[2]?.candidate).toBe('lucky');
    expect(choices[2]?.bestCandidate).toBeUndefined();
  });

  it('chains fold runs started afresh: returns one after the other, each run\'s equity rescaled to the chained curve', () => {
    const first = { name: 'a', daily: [0.1, -0.05], equity: [{ ts: 1, equity: 110 }, { ts: 2, equity: 104.5 }], tradeTimes: [2] };
    const second = { name: 'b', daily: [0.02], equity: [{ ts: 3, equity: 101 }, { ts: 4, equity: 102 }], tradeTimes: [4] };
    const s = spliceFolds([{ name: 'cash', daily: [0, 0] }, first, second], 'choice', 100);
    expect(s.name).toBe('choice');
    expect(s.daily).toEqual([0, 0, 0.1, -0.05, 0.02]);
    expect(s.tradeTimes).toEqual([2, 4]);
    // The second run starts where the first ended: 100 × 1.1 × 0.95 = 104.5.
    const expected = [110, 104.5, 101 * 1.045, 102 * 1.045];
    expect(s.equity?.length).toBe(4);
    s.equity?.forEach((p, i) => expect(p.equity).toBeCloseTo(expected[i] as number, 9));
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
    // Buy-and-hold against the candle files: each coin from its close at the span's start to its last close, a fee each way.
    const fee = (JSON.parse(readFileSync(goldenConfig, 'utf8')) as { simulator?: { feeRate?: number } }).simulator?.feeRate ?? 0.001;
    const changes = readdirSync(golden).map((file) => {
      const rows = readFileSync(join(golden, file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
      // A candle is its close at its close time (open + 5 m).
      const start = rows.find((r) => (r[0] as number) + 300_000 === Date.UTC(2024, 0, 2)) as number[];
      return ((rows[rows.length - 1] as number[])[4] as number) / (start[4] as number);
    });
    const holdReturn = changes.reduce((a, c) => a + c * (1 - fee) * (1 - fee), 0) / changes.length - 1;
    expect(report.whole.figures.find((f) => f.name === 'buy-and-hold')?.return).toBeCloseTo(holdReturn, 10);
    // Seeded and free of wall-clock figures: a second run writes the same bytes.
    const again = join(out, 'again');
    expect(await main(['ranker', 'walk-forward', '--data', golden, '--config', goldenConfig, '--fold', '1d', '--out', again], captureIo().io)).toBe(0);
    expect(readFileSync(join(again, 'walk-forward.json'), 'utf8')).toBe(readFileSync(join(out, 'walk-forward.json'), 'utf8'));
  });

  it('--choose trades, fold by fold, the profile of the grid that did best before the fold', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-wf-'));
    const grid = join(out, 'grid.json');
    writeFileSync(grid, JSON.stringify({ 'strategy.stopLoss': [0.01, 0.02], 'allocation.maxPositions': [1, 2] }));
    const run = captureIo();
    expect(await main(['ranker', 'walk-forward', '--data', golden, '--config', goldenConfig, '--fold', '1d', '--choose', grid, '--out', out], run.io)).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'walk-forward.json'), 'utf8')) as StrategyWalkForward;
    expect(report.strategy).toBe('walk-forward choice');
    expect(report.whole.figures.map((f) => f.name).slice(0, 2)).toEqual(['walk-forward choice', 'default strategy']);
    expect(report.choices?.map((c) => c.fold)).toEqual(report.folds.map((f) => f.fold));
    expect(report.choices?.[0]?.candidate).toBeNull();
    const labels = ['stopLoss=0.01 maxPositions=1', 'stopLoss=0.01 maxPositions=2', 'stopLoss=0.02 maxPositions=1', 'stopLoss=0.02 maxPositions=2'];
    for (const [i, c] of (report.choices ?? []).entries()) {
      if (i === 0) continue;
      // A later fold trades the best past Sharpe of the grid when those days showed it beats cash, else holds cash.
      if (c.candidate === null) {
        expect(c.pastVsCash?.verdict).not.toBe('beats');
        expect(labels).toContain(c.bestCandidate);
        expect(report.folds[i]?.figures[0]?.return).toBe(0);
        expect(report.folds[i]?.figures[0]?.trades).toBe(0);
      } else {
        expect(labels).toContain(c.candidate);
        expect(c.pastVsCash?.verdict).toBe('beats');
        expect(c.pastSharpe).toBeGreaterThan(0);
      }
    }
    expect(report.folds[0]?.figures[0]?.return).toBe(0);
    // Four candidates, one of them (stop 2 %, 2 positions) the configured profile: three more backtests.
    expect(run.err().match(/^candidate /gm)).toHaveLength(3);
    // Each later fold is its chosen profile's backtest of that fold alone, started afresh (fold 2 holds cash:
    // one day before it gives no Sharpe, so no candidate beat cash's).
    expect(report.choices?.[1]?.candidate).toBeNull();
    const traded = (report.choices ?? []).findIndex((c) => c.candidate !== null);
    expect(traded).toBeGreaterThan(1);
    const fold = report.folds[traded];
    const chosen = report.choices?.[traded]?.candidate ?? '';
    const day = new Date(fold?.span.from ?? NaN).toISOString().slice(0, 10);
    const bt = captureIo();
    const sets = chosen.split(' ').map((kv) => ['--set', `${kv.startsWith('stopLoss') ? 'strategy' : 'allocation'}.${kv}`]).flat();
    expect(await main(['backtest', '--data', golden, '--config', goldenConfig, ...sets, '--from', day, '--to', day, '--out', join(out, 'fold')], bt.io)).toBe(0);
    const summary = (JSON.parse(readFileSync(join(out, 'fold', 'summary.json'), 'utf8')) as { statistics: { totalReturn: number; trades: number } }).statistics;
    expect(summary.trades).toBeGreaterThan(0);
    expect(fold?.figures[0]?.trades).toBe(summary.trades);
    expect(fold?.figures[0]?.return).toBeCloseTo(summary.totalReturn, 10);
    expect(run.out()).toMatch(/fold 2: cash \(no candidate shown to beat it over the 1 days before: the best, stopLoss=\S+ maxPositions=\d, had Sharpe 0\.00, \S+ pp a day against cash/);
    expect(run.out()).toContain('fold 1: cash (nothing before it to choose on)');
    // Every candidate over the span, against the configured profile; the best Sharpe is the pick to trade next.
    expect(report.candidates?.map((c) => c.label)).toEqual(['stopLoss=0.01 maxPositions=1', 'stopLoss=0.01 maxPositions=2', 'stopLoss=0.02 maxPositions=1', 'stopLoss=0.02 maxPositions=2']);
    const same = report.candidates?.[3];
    expect(same?.minusDefault.mean).toBe(0);
    expect(same?.trades).toBe(report.whole.figures[1]?.trades);
    expect(same?.return).toBeCloseTo(report.whole.figures[1]?.return ?? NaN, 12);
    const best = report.candidates?.reduce((b, c) => (c.sharpe > b.sharpe ? c : b));
    if (report.next !== 'cash') expect(report.next).toBe(best?.label);
    expect(run.out()).toContain(`to trade next: ${report.next ?? ''}`);
    // next.json: the pick as a profile file, the configured one with the candidate's values, which loads
    // to the candidate's configuration; with cash as the pick, none (and a stale one is removed).
    const nextFile = join(out, 'next.json');
    if (report.next === 'cash') expect(existsSync(nextFile)).toBe(false);
    else {
      const pick = report.next ?? '';
      const sets = pick.split(' ').map((kv) => `${kv.startsWith('stopLoss') ? 'strategy' : 'allocation'}.${kv}`);
      const written = JSON.parse(readFileSync(nextFile, 'utf8')) as Record<string, unknown>;
      expect(Object.keys(written).sort()).toEqual([...new Set([...Object.keys(JSON.parse(readFileSync(goldenConfig, 'utf8')) as object), 'strategy', 'allocation'])].sort());
      expect(loadConfig({ file: nextFile })).toEqual(loadConfig({ file: goldenConfig, set: sets }));
      expect(run.out()).toContain(`wrote ${nextFile}: the profile to trade next`);
    }
    // The same candles falling (prices inverted), a grid of two profiles that both lose there: the pick is
    // cash, and the next.json of the run before goes.
    writeFileSync(nextFile, '{}');
    const falling = join(out, 'falling');
    expect(await main(['data', 'mirror', '--data', golden, '--by', 'prices', '--out', falling], captureIo().io)).toBe(0);
    writeFileSync(grid, JSON.stringify({ 'strategy.stopLoss': [0.02], 'allocation.maxPositions': [1, 2] }));
    const losing = captureIo();
    expect(await main(['ranker', 'walk-forward', '--data', falling, '--config', goldenConfig, '--fold', '1d', '--choose', grid, '--out', out], losing.io)).toBe(0);
    const fell = JSON.parse(readFileSync(join(out, 'walk-forward.json'), 'utf8')) as StrategyWalkForward;
    expect(fell.candidates?.every((c) => c.sharpe < 0 && c.trades > 0)).toBe(true);
    expect(fell.next).toBe('cash');
    expect(existsSync(nextFile)).toBe(false);
    expect(losing.out()).toContain('the pick to trade next is cash');
    const bad = captureIo();
    writeFileSync(grid, JSON.stringify({ 'strategy.stopLoss': 0.01 }));
    expect(await main(['ranker', 'walk-forward', '--data', golden, '--choose', grid], bad.io)).toBe(2);
    expect(bad.err()).toContain('strategy.stopLoss must be a non-empty list');
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
