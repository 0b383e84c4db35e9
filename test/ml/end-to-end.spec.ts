import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config.js';
import type { FeatureSnapshot } from '../../src/core/index.js';
import { spanDays } from '../../src/ml/bootstrap.js';
import { evaluateRanker } from '../../src/ml/evaluation.js';
import { loadModelScorer } from '../../src/ml/model-scorer.js';
import { parseRankerConfig } from '../../src/ml/ranker-config.js';
import { activeVersion, listVersions, readMeta } from '../../src/ml/registry.js';
import { trainRanker } from '../../src/ml/train.js';
import { RULE_SCORERS, type SimpleRule } from '../../src/ml/simple-rules.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const files = ['BTC', 'ETH', 'SOL', 'DOGE'].map((c) => sharedData('candles/binance-spot-2021-5m', `${c}_USDT-5m.csv.gz`));
const DAY = 86_400_000;

describe.skipIf(skipWithoutSharedData())('ranker end to end on four coins', () => {
  it('trains (MLP and GRU, walk-forward), registers, evaluates against baselines and backtests', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-ranker-'));
    const config = parseRankerConfig({ split: { validation: '3d', embargo: '6h' }, train: { epochs: 2, stride: 6, sequenceStride: 24 } });
    const to = Date.UTC(2021, 0, 12);
    const trained = await trainRanker({ paths: files, config, out, to });
    expect(await listVersions(out)).toEqual(['v1']);
    expect(await activeVersion(out)).toBe('v1');
    const meta = await readMeta(out);
    expect(meta.config).toEqual(config);
    expect(meta.spans.validation.to).toBe(to);
    expect(meta.spans.validation.from - meta.spans.train.to).toBe(config.label.horizon + 6 * 3_600_000);
    expect(meta.spans.testFrom).toBe(to + config.label.horizon + 6 * 3_600_000);
    expect(['mlp', 'gru']).toContain(meta.kind);
    expect((meta.metrics['selection'] as unknown[]).length).toBe(2);
    // Model selection against the simple rules: the version ranks with the network only if it beat the best rule on validation.
    const check = meta.metrics['ruleCheck'] as { model: number; rules: Record<string, number>; best: string; ranksWith: string; interval: { low: number; high: number; verdict: string; n: number } };
    expect(Object.keys(check.rules)).toEqual(['momentum', 'volatility rule', 'heuristic']);
    expect(check.rules[check.best]).toBe(Math.max(...Object.values(check.rules)));
    // The network ranks only when its daily advantage over the best rule has an interval above zero.
    expect(meta.ranksWith).toBe(check.interval.verdict === 'beats' ? 'model' : check.best);
    expect(check.interval.n).toBeGreaterThanOrEqual(2);
    expect(check.interval.low).toBeLessThanOrEqual(check.interval.high);
    if (meta.ranksWith === 'model') expect(check.model).toBeGreaterThan(check.rules[check.best] as number);
    expect(trained.dataset.rows).toBeGreaterThan(1000);

    // The registered version is a BatchScorer: one call scores a whole batch with probabilities.
    const scorer = await loadModelScorer(out);
    const snap = (market: string, price: number): FeatureSnapshot => {
      const w = { vwap: 100, volume: 10, value: 1000, trades: 5 };
      return { market, ts: 0, price, windows: Object.fromEntries(['1m', '3m', '5m', '10m', '30m', '1h', '6h', '12h', '1d', '1w', '1M'].map((k) => [k, w])) as FeatureSnapshot['windows'], volatility: 0.01, position: 0.5, high: 110, low: 90, regime: { '1h': 'bull', '6h': 'flat', '12h': 'flat', '24h': 'bear' } };
    };
    const batch = [snap('A/USDT', 101), snap('B/USDT', 99), snap('C/USDT', 100)];
    const scores = scorer(batch);
    expect(scores).toHaveLength(3);
    for (const p of scorer.lastProbabilities()) expect(p).toBeGreaterThan(0), expect(p).toBeLessThan(1);
    // The network ranks, or the rule that beat it on validation does (its probabilities stay the network's).
    if (meta.ranksWith === 'model') expect(Array.from(scores)).toEqual(Array.from(scorer.lastProbabilities()));
    else expect(scores).toEqual(RULE_SCORERS[meta.ranksWith as SimpleRule](batch));

    const engineConfig = parseConfig({ exchange: { id: 'binance', quote: 'USDT' }, features: { every: '5m', staleAfter: '1d' }, ranking: { top: 2 }, strategy: { takeProfit: 0.02, stopLoss: 0.02, maxHold: '12h' }, simulator: { initialBalance: 10_000 } });
    const report = await evaluateRanker({ paths: files, modelDir: out, to: meta.spans.testFrom + 3 * DAY, engineConfig });
    expect(report.span.from).toBe(meta.spans.testFrom);
    expect(report.markets).toBe(4);
    expect(report.scores.map((s) => s.name)).toEqual(['model', 'base rate', 'momentum', 'volatility rule', 'heuristic', 'random']);
    // Every baseline is calibrated on the model's own validation rows, never on none.
    expect(report.calibration.source).toBe('model validation span');
    expect(report.calibration.span).toEqual(meta.spans.validation);
    expect(report.calibration.rows).toBeGreaterThan(100);
    // Each baseline gets a paired daily interval on precision@k and payoff@k (k = 3 with four markets).
    expect(report.comparisons.map((c) => `${c.against} ${c.metric}`)).toEqual(['base rate', 'momentum', 'volatility rule', 'heuristic', 'random'].flatMap((n) => [`${n} precision@3`, `${n} payoff@3`]));
    for (const c of report.comparisons) expect(c.interval.n).toBe(spanDays(report.span.from, report.span.to).length), expect(c.interval.low).toBeLessThanOrEqual(c.interval.high);
    expect(report.walkForward.folds.length).toBe(1);
    expect(report.walkForward.folds[0]?.rows).toBe(report.rows);
    for (const s of report.scores) {
      expect(s.picks.map((p) => p.k)).toEqual([1, 3, 5]);
      expect(Number.isFinite(s.brier)).toBe(true);
    }
    // With four markets, precision@5 has no step and is NaN; @1 and @3 are defined.
    const model = report.scores[0];
    expect(model?.picks[2]?.steps).toBe(0);
    expect(model?.picks[0]?.steps).toBeGreaterThan(500);
    expect(report.scores[1]?.auc).toBe(0.5);
    expect(report.backtests?.['model']?.summary['initialEquity']).toBe(10_000);
    expect(report.backtests?.['heuristic']?.counters.batches).toBeGreaterThan(0);
    expect(Object.keys(report.backtests ?? {})).toEqual(['model', 'momentum', 'volatility rule', 'heuristic', 'random']);
    expect(report.backtestComparisons?.map((c) => c.against)).toEqual(['momentum ranking', 'volatility rule ranking', 'heuristic ranking', 'random ranking', 'cash', 'buy-and-hold']);
    // The default strategy (the heuristic ranking) against every other choice, with its interval.
    expect(report.strategyComparisons?.map((c) => c.against)).toEqual(['momentum ranking', 'volatility rule ranking', 'random ranking', 'cash', 'buy-and-hold']);
    const vsCash = report.strategyComparisons?.find((c) => c.against === 'cash');
    expect(vsCash?.modelMean).toBeCloseTo(report.backtests!['heuristic']!.dailyReturns.reduce((a, b) => a + b, 0) / report.backtests!['heuristic']!.dailyReturns.length, 12);
    expect(vsCash!.interval.low).toBeLessThanOrEqual(vsCash!.interval.high);
    expect(report.backtests?.['model']?.dailyReturns).toHaveLength(report.backtestComparisons?.[0]?.interval.n ?? -1);
    // The backtests fold by fold (7-day folds by default): the default strategy first, its trades and compounded return adding up to the run's.
    const wf = report.backtestFolds;
    expect(wf?.foldDays).toBe(7);
    expect(wf?.whole.figures.map((f) => f.name)).toEqual(['default strategy', 'model ranking', 'momentum ranking', 'volatility rule ranking', 'random ranking', 'cash', 'buy-and-hold']);
    expect(wf?.whole.figures[0]?.trades).toBe(report.backtests?.['heuristic']?.summary['trades']);
    expect(wf?.whole.figures[0]?.return).toBeCloseTo(report.backtests!['heuristic']!.dailyReturns.reduce((v, r) => v * (1 + r), 1) - 1, 12);
    expect(wf?.whole.comparisons.find((c) => c.against === 'cash')?.interval.mean).toBeCloseTo(vsCash?.interval.mean ?? NaN, 12);

    // Another era: data that holds none of the model's validation span (the days before its training).
    // The model and the baselines are recalibrated together on the start of that data, the test follows a purge later.
    const early = await evaluateRanker({ paths: files.slice(0, 3), modelDir: out, from: Date.UTC(2021, 0, 1), to: Date.UTC(2021, 0, 8) });
    expect(early.calibration.source).toBe('start of the evaluated data');
    expect(early.calibration.rows).toBeGreaterThan(0);
    expect(early.span.from).toBe(early.calibration.span.to + config.label.horizon);
    expect(early.excluded.unlabelled).toBeGreaterThanOrEqual(0);
    // A span too short to hold any calibration rows is an error that says so, never baselines fitted on nothing.
    await expect(evaluateRanker({ paths: files.slice(0, 2), modelDir: out, from: Date.UTC(2021, 0, 1), to: Date.UTC(2021, 0, 2) })).rejects.toThrow(/no labelled rows to calibrate on/);
  }, 180_000);

  it('trains the linear and tree rankers over pooled inner folds, keeps the best on validation precision, and serves the trees like a network', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-ranker-linear-'));
    const config = parseRankerConfig({ label: { target: 0.01, stop: 0.01, horizon: '2h' }, split: { validation: '2d', folds: 6, minTrain: '3d', embargo: '6h' }, train: { models: ['linear', 'linear-rank', 'gbm-rank'], trees: { rounds: 30 } } });
    const to = Date.UTC(2021, 0, 14);
    const said: string[] = [];
    const trained = await trainRanker({ paths: files, config, out, to, onLog: (line) => said.push(line) });
    const meta = await readMeta(out);
    // Four coins: the top 3 of each time step, and every line says so (it said precision@5).
    expect(said.filter((l) => /precision@/.test(l)).length).toBeGreaterThanOrEqual(4);
    expect(said.filter((l) => /precision@(?!3\b)/.test(l))).toEqual([]);
    const selection = meta.metrics['selection'] as { kind: string; validationPrecisionAtK: number; folds: unknown[] }[];
    // Twelve days after the warm-up: six 2-day blocks would leave the first fold under 3 days of training, so fewer are used.
    const folds = selection[0]?.folds.length ?? 0;
    expect(folds).toBeGreaterThan(1);
    expect(folds).toBeLessThan(6);
    expect(selection.map((c) => c.kind)).toEqual(['linear', 'linear-rank', 'gbm-rank']);
    for (const c of selection) expect(c.folds).toHaveLength(folds);
    const best = Math.max(...selection.map((c) => c.validationPrecisionAtK));
    expect(meta.kind).toBe(selection.find((c) => c.validationPrecisionAtK === best)?.kind);
    // The rule check sees every block's days, not only the last block's two.
    const check = meta.metrics['ruleCheck'] as { model: number; interval: { n: number } };
    expect(check.interval.n).toBe(2 * folds);
    expect(check.model).toBe(best);

    // The boosted trees alone, on the same dataset: saved, loaded and scored through the network's paths.
    const trees = parseRankerConfig({ ...config, train: { ...config.train, models: ['gbm-rank'] } });
    await trainRanker({ paths: files, config: trees, out, to, dataset: trained.dataset });
    const treeMeta = await readMeta(out);
    expect(treeMeta.kind).toBe('gbm-rank');
    const report = await evaluateRanker({ paths: files, modelDir: out, to: treeMeta.spans.testFrom + 2 * DAY });
    expect(report.scores[0]?.name).toBe('model');
    expect(report.scores[0]?.picks[0]?.steps).toBeGreaterThan(100);
    expect(Number.isFinite(report.scores[0]?.brier)).toBe(true);
  }, 180_000);

  it('runs from the command line: ranker train then ranker evaluate writes JSON and HTML', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-ranker-cli-'));
    const cfg = join(out, 'ranker.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(cfg, JSON.stringify({ split: { validation: '3d', embargo: '6h' }, train: { epochs: 1, stride: 12, models: ['mlp'] } }));
    const io = () => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let text = '';
      stdout.on('data', (c: Buffer) => (text += c.toString()));
      stderr.resume();
      return { io: { stdout, stderr, interactive: false, env: {}, signal: new AbortController().signal }, text: () => text };
    };
    const t = io();
    expect(await main(['ranker', 'train', '--data', ...files.slice(0, 2), '--to', '2021-01-12', '--ranker-config', cfg, '--out', join(out, 'models')], t.io)).toBe(0);
    expect(t.text()).toMatch(/v1 \(mlp\) saved/);
    const e = io();
    expect(await main(['ranker', 'evaluate', '--data', ...files.slice(0, 2), '--model', join(out, 'models'), '--to', '2021-01-16', '--no-backtest', '--out', join(out, 'eval')], e.io)).toBe(0);
    expect(e.text()).toMatch(/AUC/);
    expect(existsSync(join(out, 'eval', 'evaluation.html'))).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'eval', 'evaluation.json'), 'utf8')) as { scores: unknown[] };
    expect(json.scores).toHaveLength(6);
    // ranker rank says when the version ranks with a rule (the rankings written are the rule's), and only then.
    const stderr = new PassThrough();
    let said = '';
    stderr.on('data', (c: Buffer) => (said += c.toString()));
    const rank = { ...io().io, stderr };
    expect(await main(['ranker', 'rank', '--data', ...files.slice(0, 2), '--model', join(out, 'models'), '--to', '2021-01-14', '--out', join(out, 'ranking.jsonl')], rank)).toBe(0);
    const ranksWith = (JSON.parse(readFileSync(join(out, 'models', 'v1', 'meta.json'), 'utf8')) as { ranksWith?: string }).ranksWith;
    if (ranksWith === undefined || ranksWith === 'model') expect(said).not.toContain('ranks with');
    else expect(said).toContain(`ranker rank: ${join(out, 'models')} ranks with the ${ranksWith} (training did not show the network better on validation`);
  });
});
