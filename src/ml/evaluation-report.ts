import type { Comparison, EvaluationReport, ScoreReport, WalkForwardTable } from './evaluation.js';
import { pick } from './evaluation.js';
import { foldTablesHtml, foldTablesText } from './strategy-walk-forward-report.js';
import { escapeHtml } from '../report/escape-html.js';

const pct = (v: number, digits = 1): string => (Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : 'n/a');
const num = (v: number, digits = 4): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const hours = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 3_600_000).toFixed(2)} h` : 'n/a');
const day = (ts: number): string => new Date(ts).toISOString().slice(0, 16).replace('T', ' ');
const date = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
const pp = (v: number, digits = 2): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(digits)}` : 'n/a');

function scoreRow(s: ScoreReport): string[] {
  return [s.name, num(s.auc), num(s.brier), num(s.brierSkillTrain), num(s.brierSkillTest), ...s.picks.map((p) => pct(p.precision)), ...s.payoff.map((p) => pct(p.mean, 2)), ...s.picks.map((p) => hours(p.meanTimeToTargetMs))];
}

const HEAD = ['score', 'AUC', 'Brier', 'skill (train rate)', 'skill (test rate)', 'prec@1', 'prec@3', 'prec@5', 'payoff@1', 'payoff@3', 'payoff@5', 'time@1', 'time@3', 'time@5'];
const CMP_HEAD = ['claim', 'metric', 'model', 'other', 'difference (pp)', '95% CI (pp)', 'p(not better)', 'days', 'verdict'];

function comparisonRow(c: Comparison): string[] {
  const i = c.interval;
  return [`${c.model} vs ${c.against}`, c.metric, pct(c.modelMean, 2), pct(c.againstMean, 2), pp(i.mean), `${pp(i.low)} … ${pp(i.high)}`, num(i.pNotBetter, 3), String(i.n), i.verdict];
}

function walkForwardRows(w: WalkForwardTable): { head: string[]; rows: string[][] } {
  const names = w.folds[0]?.scores.map((s) => s.name) ?? [];
  const head = ['fold', 'span', 'rows', 'base rate', ...names.map((n) => `${n} prec@${w.k}`), ...names.map((n) => `${n} payoff@${w.k}`), 'model AUC', 'model skill (fold rate)'];
  const rows = w.folds.map((f) => {
    const model = f.scores.find((s) => s.name === 'model');
    return [String(f.fold), `${date(f.span.from)} … ${date(f.span.to - 1)}`, String(f.rows), pct(f.baseRate), ...f.scores.map((s) => pct(s.precision)), ...f.scores.map((s) => pct(s.payoff, 2)), num(model?.auc ?? NaN), num(model?.brierSkillFold ?? NaN)];
  });
  return { head, rows };
}

function textTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  '));
}

/** The plain-text summary printed by `coinrx ranker evaluate`. */
export function evaluationText(r: EvaluationReport): string {
  const wf = walkForwardRows(r.walkForward);
  const lines = [
    `model ${r.model.version} (${r.model.kind}; ranks with ${r.model.ranksWith === 'model' ? 'the network' : `${r.model.ranksWith}, which beat it on validation`}) evaluated on ${day(r.span.from)} … ${day(r.span.to - 1)} UTC: ${r.rows} rows, ${r.steps} time steps, ${r.markets} markets; not scored: ${r.excluded.warmup} rows in the features' warm-up, ${r.excluded.unlabelled} without a known outcome`,
    `calibration (model and every baseline alike): ${r.calibration.rows} rows of the ${r.calibration.source}, ${day(r.calibration.span.from)} … ${day(r.calibration.span.to - 1)}, base rate ${pct(r.calibration.baseRate)}`,
    `labels: target first ${pct(r.labelShares.target)}, stop first ${pct(r.labelShares.stop)}, neither ${pct(r.labelShares.neither)}; base rate train ${pct(r.baseRateTrain)}, test ${pct(r.baseRateTest)}`,
    '',
    ...textTable(HEAD, r.scores.map(scoreRow)),
    '',
    `skill (train rate) is against the training base rate, skill (test rate) against this span's own; payoff@k = mean net return of the top-k barrier trades per step (target, −stop, or the return at the horizon); the base rate's picks are every market equally.`,
    '',
    `does the model beat each baseline? paired daily differences, moving-block bootstrap (${r.comparisons[0]?.interval.resamples ?? 0} resamples, seed ${r.comparisons[0]?.interval.seed ?? ''}):`,
    ...textTable(CMP_HEAD, r.comparisons.map(comparisonRow)),
    '',
    `walk-forward (${r.walkForward.mode}: trained on ${day(r.model.trainedOn.train.from)} … ${day(r.model.trainedOn.validation.to)}, before every fold):`,
    ...textTable(wf.head, wf.rows),
    '',
    `model's time head on its picks (time to target, H when not reached), predicted vs realised: ${r.timeToTarget.map((t) => `@${t.k} ${hours(t.predictedMs)} vs ${hours(t.realisedCensoredMs)}`).join(', ')}`,
    `equal-weight buy-and-hold over the span: ${pct(r.buyAndHold, 2)}`,
  ];
  const model = r.scores.find((s) => s.name === 'model');
  if (model) {
    lines.push('', 'reliability (model): predicted → observed (count)');
    for (const b of model.reliability) if (b.count > 0) lines.push(`  ${pct(b.from, 0).padStart(4)}–${pct(b.to, 0).padEnd(4)} ${pct(b.meanPredicted).padStart(6)} → ${pct(b.observedRate).padStart(6)} (${b.count})`);
  }
  if (r.backtests) {
    lines.push('', 'backtest of the ranking strategy on the span (engine simulator, fees and fill model of the profile):');
    for (const [name, b] of Object.entries(r.backtests)) {
      const s = pick(b.summary);
      lines.push(`  ${name.padEnd(16)} return ${pct(s['totalReturn'] as number, 2)}, ${s['trades']} trades, win rate ${pct(s['winRate'] as number)}, mean trade ${pct(s['meanTradeReturn'] as number, 2)}, max drawdown ${pct(s['maxDrawdown'] as number)}, fees ${num(s['feesPaid'] as number, 2)}; rankings acted on ${b.counters.rankings}/${b.counters.batches} batches`);
    }
    if (r.backtestComparisons) lines.push('', 'model ranking backtest against the others, paired daily returns:', ...textTable(CMP_HEAD, r.backtestComparisons.map(comparisonRow)));
    if (r.strategyComparisons) lines.push('', 'the default strategy (heuristic ranking) against the others, paired daily returns:', ...textTable(CMP_HEAD, r.strategyComparisons.map(comparisonRow)));
    if (r.backtestFolds) lines.push('', `the backtests fold by fold (${r.backtestFolds.foldDays}-day folds; Sharpe: daily returns × √365):`, ...foldTablesText({ strategy: 'default strategy', folds: r.backtestFolds.folds, whole: r.backtestFolds.whole }));
  }
  return `${lines.join('\n')}\n`;
}

const tableHtml = (head: readonly string[], rows: readonly (readonly string[])[]): string =>
  `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;

/** A small self-contained HTML report (no scripts, no external assets): tables and an SVG reliability plot. */
export function evaluationHtml(r: EvaluationReport): string {
  const size = 260;
  const plot = r.scores
    .filter((s) => s.name === 'model' || s.name === 'heuristic')
    .map((s, i) => {
      const pts = s.reliability.filter((b) => b.count > 0).map((b) => `${(b.meanPredicted * size).toFixed(1)},${((1 - b.observedRate) * size).toFixed(1)}`);
      return `<polyline fill="none" stroke="${i === 0 ? '#1f77b4' : '#ff7f0e'}" stroke-width="2" points="${pts.join(' ')}"/>`;
    })
    .join('');
  const svg = `<svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" style="border:1px solid #ccc"><line x1="0" y1="${size}" x2="${size}" y2="0" stroke="#999" stroke-dasharray="4"/>${plot}</svg><p><span style="color:#1f77b4">model</span>, <span style="color:#ff7f0e">heuristic (calibrated)</span>; x predicted, y observed.</p>`;
  const model = r.scores.find((s) => s.name === 'model');
  const wf = walkForwardRows(r.walkForward);
  const backtests = r.backtests
    ? tableHtml(
        ['ranking', 'return', 'trades', 'win rate', 'mean trade', 'max drawdown', 'sharpe', 'fees', 'rankings acted on'],
        Object.entries(r.backtests).map(([name, b]) => {
          const s = pick(b.summary);
          return [name, pct(s['totalReturn'] as number, 2), String(s['trades']), pct(s['winRate'] as number), pct(s['meanTradeReturn'] as number, 2), pct(s['maxDrawdown'] as number), num(s['sharpe'] as number, 2), num(s['feesPaid'] as number, 2), `${b.counters.rankings}/${b.counters.batches}`];
        }),
      ) +
      (r.backtestComparisons ? `<p>Model ranking against the others, paired daily returns:</p>${tableHtml(CMP_HEAD, r.backtestComparisons.map(comparisonRow))}` : '') +
      (r.strategyComparisons ? `<p>The default strategy (heuristic ranking) against the others, paired daily returns:</p>${tableHtml(CMP_HEAD, r.strategyComparisons.map(comparisonRow))}` : '') +
      (r.backtestFolds ? `<p>The backtests fold by fold (${r.backtestFolds.foldDays}-day folds; Sharpe: daily returns × √365):</p>${foldTablesHtml({ strategy: 'default strategy', folds: r.backtestFolds.folds, whole: r.backtestFolds.whole })}` : '')
    : '<p>No backtest (no engine profile).</p>';
  return `<!doctype html><html><head><meta charset="utf-8"><title>coinrx ranker ${escapeHtml(r.model.version)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:90em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td{white-space:nowrap}td:first-child,th:first-child{text-align:left}</style></head><body>
<h1>Ranker ${escapeHtml(r.model.version)} (${escapeHtml(r.model.kind)}; ranks with ${escapeHtml(r.model.ranksWith === 'model' ? 'the network' : `${r.model.ranksWith}, which beat it on validation`)})</h1>
<p>Evaluated on ${escapeHtml(day(r.span.from))} … ${escapeHtml(day(r.span.to - 1))} UTC: ${r.rows} rows, ${r.steps} time steps, ${r.markets} markets (not scored: ${r.excluded.warmup} rows in the features' warm-up, ${r.excluded.unlabelled} without a known outcome). Trained on ${escapeHtml(day(r.model.trainedOn.train.from))} … ${escapeHtml(day(r.model.trainedOn.train.to))}, validated on ${escapeHtml(day(r.model.trainedOn.validation.from))} … ${escapeHtml(day(r.model.trainedOn.validation.to))}.</p>
<p>Calibration of the model and every baseline: ${r.calibration.rows} rows of the ${escapeHtml(r.calibration.source)} (${escapeHtml(day(r.calibration.span.from))} … ${escapeHtml(day(r.calibration.span.to - 1))}, base rate ${pct(r.calibration.baseRate)}).</p>
<p>Labels: target first ${pct(r.labelShares.target)}, stop first ${pct(r.labelShares.stop)}, neither ${pct(r.labelShares.neither)}. Base rate: training ${pct(r.baseRateTrain)}, evaluated span ${pct(r.baseRateTest)}. Equal-weight buy-and-hold: ${pct(r.buyAndHold, 2)}.</p>
<h2>Scores</h2>${tableHtml(HEAD, r.scores.map(scoreRow))}
<p>Brier skill against the training base rate and against the evaluated span's own. payoff@k: mean net return of the top-k barrier trades per step. time@k: mean time to target of the top-k picks that reached it.</p>
<h2>Does the model beat each baseline?</h2>${tableHtml(CMP_HEAD, r.comparisons.map(comparisonRow))}
<p>Paired daily differences, moving-block bootstrap percentile intervals; "beats" only when the whole interval is above zero.</p>
<h2>Walk-forward (${escapeHtml(r.walkForward.mode)})</h2>${tableHtml(wf.head, wf.rows)}
<h2>Reliability (model)</h2>${model ? tableHtml(['bin', 'mean predicted', 'observed', 'count'], model.reliability.map((b) => [`${pct(b.from, 0)}–${pct(b.to, 0)}`, pct(b.meanPredicted), pct(b.observedRate), String(b.count)])) : ''}${svg}
<h2>Backtest of the ranking strategy</h2>${backtests}
</body></html>
`;
}
