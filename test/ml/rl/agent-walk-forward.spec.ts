/**
 * `coinrx agent walk-forward`: every fold's agent is trained and selected only on the data before the
 * fold and evaluated on the fold alone; all test days are then pooled, and the pooled intervals are those
 * of the folds' daily returns laid end to end.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { pairedBlockBootstrap } from '../../../src/ml/bootstrap.js';
import { foldSpans, type AgentWalkForward } from '../../../src/ml/rl/agent-walk-forward.js';
import { captureIo } from '../../helpers/capture-io.js';
import { writeSineCandles } from '../../helpers/sine-candles.js';

const DAY = 86_400_000;

describe('agent walk-forward', () => {
  it('cuts folds of the given length, the last one shorter, none under a day', () => {
    const t0 = Date.UTC(2024, 0, 1);
    expect(foldSpans(t0, t0 + 5.5 * DAY, 2 * DAY)).toEqual([
      { from: t0, to: t0 + 2 * DAY },
      { from: t0 + 2 * DAY, to: t0 + 4 * DAY },
      { from: t0 + 4 * DAY, to: t0 + 5.5 * DAY },
    ]);
    expect(foldSpans(t0, t0 + 4.5 * DAY, 2 * DAY)).toHaveLength(2);
    expect(() => foldSpans(t0, t0 + 4 * DAY, 3_600_000)).toThrow(/at least a day/);
  });

  it('trains each fold before it, evaluates it on the fold, and pools the test days', async () => {
    const data = writeSineCandles('coinrx-agent-wf-');
    const out = mkdtempSync(join(tmpdir(), 'coinrx-agent-wf-out-'));
    const c = captureIo();
    const code = await main(['agent', 'walk-forward', '--data', data, '--from', '2024-01-07', '--fold', '2d', '--generations', '1', '--rl', 'loop.validationDays=2', 'agent.trainSteps=50', '--set', 'features.every=5m', '--out', out], c.io);
    expect(code, c.err()).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'walk-forward.json'), 'utf8')) as AgentWalkForward;
    const first = Date.UTC(2024, 0, 7);
    expect(result.folds.map((f) => [f.from, f.to])).toEqual([
      [first, first + 2 * DAY],
      [first + 2 * DAY, first + 4 * DAY],
      [first + 4 * DAY, first + 6 * DAY],
    ]);
    for (const f of result.folds) {
      // Trained and selected on what precedes the fold only, from the data's start (anchored).
      expect(f.trainedOn.to).toBeLessThanOrEqual(f.from);
      expect(f.trainedOn.to).toBeGreaterThan(f.from - 5 * 60_000 - 1);
      // The first day of batches warms the features up; training starts right after it.
      expect(f.trainedOn.from).toBeLessThan(Date.UTC(2024, 0, 2, 1));
      // Evaluated on the fold and nothing else.
      expect(f.report.span.from).toBeGreaterThanOrEqual(f.from);
      expect(f.report.span.to).toBeLessThanOrEqual(f.to);
      expect(JSON.parse(readFileSync(join(out, `fold-${result.folds.indexOf(f) + 1}`, 'evaluation.json'), 'utf8')).span).toEqual(f.report.span);
    }
    // Pooled: each policy's daily returns of every fold laid end to end, the agent's from each fold's own row.
    const agent = result.folds.flatMap((f) => f.report.dailyReturns[f.report.rows[0]?.policy as string] as number[]);
    expect(result.pooled.days).toBe(agent.length);
    expect(agent.length).toBe(result.folds.reduce((a, f) => a + (f.report.dailyReturns['cash'] as number[]).length, 0));
    const rule = result.folds.flatMap((f) => f.report.dailyReturns['rule-based ranker (triple barrier)'] as number[]);
    expect(result.pooled.returns['rule-based ranker (triple barrier)']).toBeCloseTo(rule.reduce((a, r) => a * (1 + r), 1) - 1, 12);
    const pooledRule = result.pooled.comparisons.find((x) => x.against === 'rule-based ranker (triple barrier)');
    expect(pooledRule?.interval).toEqual(pairedBlockBootstrap(agent, rule, { seed: 1 }));
    expect(result.pooled.comparisons.map((x) => x.against)).toEqual(expect.arrayContaining(['cash', 'buy-and-hold (pool, equal weight)', 'rule-based ranker (triple barrier)']));
    const lines = c.out().split('\n');
    expect(lines.filter((l) => /^[123] +2024-01-/.test(l))).toHaveLength(3);
    expect(lines.some((l) => l.startsWith('all   6 days'))).toBe(true);
    expect(c.out()).toMatch(/in short: over the 6 test days of 3 folds the agent /);
    const html = readFileSync(join(out, 'walk-forward.html'), 'utf8');
    expect(html.match(/<tr>/g)).toHaveLength(5);
    expect(html).toContain('<td>all</td><td>6 days</td>');
  }, 120_000);

  it('refuses a first fold without the training data the loop needs before it', async () => {
    const data = writeSineCandles('coinrx-agent-wf-early-');
    const c = captureIo();
    expect(await main(['agent', 'walk-forward', '--data', data, '--from', '2024-01-03', '--fold', '2d', '--rl', 'loop.validationDays=2', '--set', 'features.every=5m', '--out', mkdtempSync(join(tmpdir(), 'coinrx-agent-wf-x-'))], c.io)).toBe(2);
    expect(c.err()).toMatch(/--from 2024-01-03T00:00:00\.000Z: the first fold needs training data before it .*start at 2024-01-06T00:05:00\.000Z or later/);
    const short = captureIo();
    expect(await main(['agent', 'walk-forward', '--data', data, '--fold', '6h', '--out', mkdtempSync(join(tmpdir(), 'coinrx-agent-wf-y-'))], short.io)).toBe(2);
    expect(short.err()).toMatch(/--fold must be at least a day/);
  }, 60_000);
});
