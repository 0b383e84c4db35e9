import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config.js';
import { runBacktest } from '../../src/engine/backtest.js';
import { batched, readAll } from '../../src/market-data/index.js';
import type { OptimizeReport } from '../../src/optimize/optimize-search.js';
import { configWith } from '../../src/optimize/search-space.js';
import { captureIo } from '../helpers/capture-io.js';
import { writeZigzagCandles } from '../helpers/zigzag-candles.js';

describe('coinrx optimize (in process)', () => {
  let data: string;
  let space: string;
  let root: string;
  let report: OptimizeReport;
  let json: string;
  const args = (out: string): string[] => ['optimize', '--data', data, '--space', space, '--trials', '6', '--folds', '2', '--seed', '5', '--out', out];

  beforeAll(async () => {
    data = writeZigzagCandles();
    root = mkdtempSync(join(tmpdir(), 'coinrx-optimize-'));
    space = join(root, 'space.json');
    writeFileSync(space, JSON.stringify({ 'strategy.takeProfit': { min: 0.005, max: 0.04 }, 'strategy.stopLoss': { min: 0.005, max: 0.04 }, 'allocation.maxPositions': { min: 1, max: 3 }, 'allocation.mode': { choices: ['equal', 'volatility'] } }));
    const { io, out, err } = captureIo();
    expect(await main(args(join(root, 'a')), io), err()).toBe(0);
    expect(out()).toContain('walk-forward out of sample: return');
    expect(out()).toMatch(/deflated Sharpe ratio of the best trial \(\d+, Sharpe -?[\d.]+ a year\): [\d.]+% \(6 trials\)/);
    json = readFileSync(join(root, 'a', 'optimize.json'), 'utf8');
    report = JSON.parse(json) as OptimizeReport;
  }, 120_000);

  it('is reproducible: the same seed gives the same bytes', async () => {
    const { io } = captureIo();
    expect(await main(args(join(root, 'b')), io)).toBe(0);
    expect(readFileSync(join(root, 'b', 'optimize.json'), 'utf8')).toBe(json);
  }, 60_000);

  it('cuts the span into K + 1 day segments, one backtest a trial', () => {
    expect(report.segments.map((s) => [s.fromIso, s.toIso])).toEqual([
      ['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z'],
      ['2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z'],
      ['2024-01-03T00:00:00.000Z', '2024-01-04T00:00:00.000Z'],
    ]);
    expect(report.trialResults).toHaveLength(6);
    for (const t of report.trialResults) expect(t.segments).toHaveLength(3);
    expect(report.jobs.planned).toBe(6);
  });

  it('picks each fold on its past only and scores it on the next segment', () => {
    const [fold1, fold2] = report.walkForward.folds;
    // Fold 1 sees segment 0 alone: its pick has the best Sharpe there (first trial on ties).
    const seg0 = report.trialResults.map((t) => t.segments[0]!.sharpe);
    expect(fold1!.best).toBe(seg0.indexOf(Math.max(...seg0)));
    expect(fold1!.outOfSample.segment).toBe(1);
    // Its out-of-sample figures are that trial's own on segment 1.
    expect(fold1!.outOfSampleMetrics.totalReturn).toBe(report.trialResults[fold1!.best]!.segments[1]!.totalReturn);
    expect(fold2!.inSample.segments).toEqual([0, 1]);
    expect(fold2!.outOfSampleMetrics.totalReturn).toBe(report.trialResults[fold2!.best]!.segments[2]!.totalReturn);
    // The curve compounds the folds' out-of-sample returns.
    const end = report.walkForward.curve.at(-1)![1];
    expect(end).toBeCloseTo((1 + fold1!.outOfSampleMetrics.totalReturn) * (1 + fold2!.outOfSampleMetrics.totalReturn), 12);
    expect(report.walkForward.outOfSample.totalReturn).toBeCloseTo(end - 1, 12);
  });

  it('runs each trial as a plain backtest of the span would, its segments cut from that run', async () => {
    const { events } = await readAll([data]);
    for (const t of report.trialResults) {
      const config = configWith(parseConfig({}), t.parameters);
      const plain = await runBacktest(batched(events, 4096), config, { range: { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 4) } });
      const s = plain.summary as { totalReturn: number; trades: number };
      expect(t.whole.trades).toBe(s.trades);
      expect(t.segments.reduce((a, x) => a + x.trades, 0)).toBe(s.trades);
      expect(t.whole.totalReturn).toBeCloseTo(s.totalReturn, 12);
      // The segments compound to the whole.
      expect(t.segments.reduce((a, x) => a * (1 + x.totalReturn), 1) - 1).toBeCloseTo(t.whole.totalReturn, 12);
    }
  }, 60_000);

  it('marks a segment halted only when the kill switch stopped the bot in it', () => {
    for (const t of report.trialResults) {
      const halts = t.botStates.filter((b) => b.state !== 'running' && b.reason?.startsWith('kill-switch'));
      // Every run ends stopped: by the end of the data (no halt) unless the kill switch had stopped it.
      expect(t.botStates.at(-1)?.state).toBe('stopped');
      expect(t.botStates.at(-1)?.reason).toMatch(/^end of data$|^kill-switch/);
      if (halts.length === 0) for (const s of t.segments) expect(s.halted).toBe(false);
      else {
        const first = Date.parse(halts[0]!.ts);
        const seg = report.segments.findIndex((s) => first >= s.from && first < s.to);
        expect(t.segments[seg]!.halted).toBe(true);
      }
    }
  });

  it('reports the deflated Sharpe ratio and PBO, and writes the page', () => {
    const dsr = report.overfitting.deflatedSharpe;
    expect(dsr.trials).toBe(6);
    expect(dsr.observations).toBe(72);
    expect(dsr.probability).toBeGreaterThanOrEqual(0);
    expect(dsr.probability).toBeLessThanOrEqual(1);
    expect(report.overfitting.pbo.pbo).not.toBeNull();
    expect(JSON.stringify(report)).not.toContain('redis://');
    const html = readFileSync(join(root, 'a', 'optimize.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html.match(/<polyline /g)).toHaveLength(2);
    expect(html).toContain('Probability of backtest overfitting');
    expect(html.match(/<tr class="chosen">|<tr>/g)!.length).toBeGreaterThanOrEqual(2 + 6);
  });

  it('refuses a bad search space or flag with one line naming it', async () => {
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ 'strategy.takeProfit': { min: 0.01, max: 0.02 }, 'allocation.maxPositons': { min: 1, max: 3 } }));
    const a = captureIo();
    expect(await main(['optimize', '--data', data, '--space', bad], a.io)).toBe(2);
    expect(a.err()).toBe(`coinrx optimize: ${bad}: "allocation.maxPositons": not a configuration field (did you mean allocation.maxPositions?)\n`);
    const b = captureIo();
    expect(await main(['optimize', '--data', data, '--space', space, '--objective', 'profit'], b.io)).toBe(2);
    expect(b.err()).toContain('--objective must be one of sharpe, calmar, return, got "profit"');
    const c = captureIo();
    expect(await main(['optimize', '--data', data, '--space', space, '--folds', '100'], c.io)).toBe(2);
    expect(c.err()).toMatch(/too short for 100 fold\(s\)/);
  });
});
