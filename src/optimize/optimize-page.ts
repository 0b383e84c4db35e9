/**
 * optimize.html: one self-contained page (no script, no network) with the overfitting figures, the
 * walk-forward folds, the out-of-sample equity curve drawn fold by fold, and every trial.
 */
import type { OptimizeReport } from './optimize-search.js';
import type { CurveMetrics } from './return-statistics.js';
import { escapeHtml } from '../report/escape-html.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];


const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
const num = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const day = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

function params(p: Readonly<Record<string, unknown>>): string {
  return Object.entries(p)
    .map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(String(v))}`)
    .join('<br>');
}

function metricsCells(m: CurveMetrics): string {
  return `<td>${pct(m.totalReturn)}</td><td>${num(m.sharpe)}</td><td>${num(m.calmar)}</td><td>${pct(m.maxDrawdown)}</td>`;
}

function curveSvg(report: OptimizeReport): string {
  const { curve, curveFolds } = report.walkForward;
  if (curve.length < 2) return '<p>No out-of-sample curve.</p>';
  const width = 900;
  const height = 300;
  const pad = 40;
  const t0 = (curve[0] as readonly [number, number])[0];
  const t1 = (curve[curve.length - 1] as readonly [number, number])[0];
  const values = curve.map((p) => p[1]);
  const lo = Math.min(1, ...values);
  const hi = Math.max(1, ...values);
  const x = (t: number): number => pad + ((t - t0) / Math.max(1, t1 - t0)) * (width - 2 * pad);
  const y = (v: number): number => height - pad - ((v - lo) / Math.max(1e-12, hi - lo)) * (height - 2 * pad);
  const parts: string[] = [];
  // One polyline per fold, each starting where the previous ended.
  for (const f of [...new Set(curveFolds)]) {
    const first = curveFolds.indexOf(f);
    const last = curveFolds.lastIndexOf(f);
    const pts = curve.slice(Math.max(0, first - 1), last + 1).map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${COLORS[(f - 1) % COLORS.length] as string}" stroke-width="2" points="${pts}"><title>fold ${f}</title></polyline>`);
  }
  const fold = report.walkForward.folds
    .map((f) => `<line x1="${x(f.outOfSample.from).toFixed(1)}" x2="${x(f.outOfSample.from).toFixed(1)}" y1="${pad}" y2="${height - pad}" stroke="#bbb" stroke-dasharray="4 3"/><text x="${(x(f.outOfSample.from) + 4).toFixed(1)}" y="${pad - 6}" font-size="12">fold ${f.fold}: trial ${f.best}</text>`)
    .join('');
  const base = `<line x1="${pad}" x2="${width - pad}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#999"/>`;
  const labels = `<text x="4" y="${(y(hi) + 4).toFixed(1)}" font-size="11">${num(hi, 3)}</text><text x="4" y="${(y(lo) + 4).toFixed(1)}" font-size="11">${num(lo, 3)}</text><text x="${pad}" y="${height - 8}" font-size="11">${escapeHtml(day(t0))}</text><text x="${width - pad - 90}" y="${height - 8}" font-size="11">${escapeHtml(day(t1))}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="out-of-sample equity">${base}${fold}${parts.join('')}${labels}</svg>`;
}

export function optimizePage(report: OptimizeReport): string {
  const dsr = report.overfitting.deflatedSharpe;
  const pbo = report.overfitting.pbo;
  const chosen = new Set(report.walkForward.folds.map((f) => f.best));
  const foldRows = report.walkForward.folds
    .map(
      (f) =>
        `<tr><td>${f.fold}</td><td>${escapeHtml(day(f.inSample.from))} → ${escapeHtml(day(f.inSample.to))}</td><td>${escapeHtml(day(f.outOfSample.from))} → ${escapeHtml(day(f.outOfSample.to))}</td><td>${f.best}</td><td class="p">${params(f.parameters)}</td>${metricsCells(f.inSampleMetrics)}${metricsCells(f.outOfSampleMetrics)}<td>${f.outOfSampleTrades}${f.outOfSampleHalted ? ' (halted)' : ''}</td></tr>`,
    )
    .join('\n');
  const segHead = report.segments.map((s) => `<th>seg ${s.index} ${report.objective}</th>`).join('');
  const trialRows = report.trialResults
    .map((t) => {
      const seg = t.segments.map((s) => `<td${s.halted ? ' title="the bot was halted for some of this segment"' : ''}>${report.objective === 'return' ? pct(s.totalReturn) : num(report.objective === 'sharpe' ? s.sharpe : s.calmar)}${s.halted ? ' (halted)' : ''}</td>`).join('');
      const trades = t.segments.reduce((a, s) => a + s.trades, 0);
      return `<tr${chosen.has(t.trial) ? ' class="chosen"' : ''}><td>${t.trial}</td><td class="p">${params(t.parameters)}</td>${seg}${metricsCells(t.whole)}<td>${trades}</td></tr>`;
    })
    .join('\n');
  const oos = report.walkForward.outOfSample;
  const pboText = pbo.pbo === null ? `not computed: ${escapeHtml(pbo.reason)}` : `<b>${pct(pbo.pbo)}</b> (CSCV, ${pbo.blocks} blocks of ${pbo.blockHours} h, ${pbo.combinations} splits, median logit ${num(pbo.logitMedian)})`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coinrx optimize</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
td.p{text-align:left;font-family:monospace;font-size:12px}th{background:#f4f4f4}tr.chosen{background:#fff6d5}
.box{display:inline-block;border:1px solid #ddd;padding:8px 16px;margin:0 12px 12px 0}
</style></head><body>
<h1>coinrx optimize</h1>
<p>${report.trials} trials, objective <b>${escapeHtml(report.objective)}</b>, seed ${report.seed}, ${report.folds} walk-forward fold(s) (anchored: each fold picks on all segments before it and is scored on the next), ${escapeHtml(report.range.fromIso)} to ${escapeHtml(report.range.toIso)}, quote ${escapeHtml(report.quote)}, data ${escapeHtml(report.data.id.slice(0, 16))}… (${report.data.files.length} file(s)).</p>
<h2>Overfitting</h2>
<div class="box">Deflated Sharpe ratio of the best trial (${dsr.trial}): <b>${dsr.probability === null ? 'n/a' : pct(dsr.probability)}</b><br>
Sharpe ${num(dsr.sharpeAnnualised)} a year (${num(dsr.sharpe, 4)} an hour over ${dsr.observations} h); the best of ${dsr.trials} trials of no skill would show ${num(dsr.benchmark, 4)} an hour</div>
<div class="box">Probability of backtest overfitting: ${pboText}</div>
<h2>Walk-forward out of sample</h2>
<p>Return ${pct(oos.totalReturn)}, Sharpe ${num(oos.sharpe)}, Calmar ${num(oos.calmar)}, max drawdown ${pct(oos.maxDrawdown)}, ${oos.trades} trades.</p>
${curveSvg(report)}
<table><tr><th>fold</th><th>searched on</th><th>scored on</th><th>trial</th><th>parameters</th><th>IS return</th><th>IS Sharpe</th><th>IS Calmar</th><th>IS max DD</th><th>OOS return</th><th>OOS Sharpe</th><th>OOS Calmar</th><th>OOS max DD</th><th>OOS trades</th></tr>
${foldRows}</table>
<p>To trade next (best on every segment): trial ${report.recommended.trial}, <code>${Object.entries(report.recommended.parameters).map(([k, v]) => `--set ${escapeHtml(k)}=${escapeHtml(String(v))}`).join(' ')}</code></p>
<h2>Trials</h2>
<p>Highlighted: picked by a fold. (halted): the bot was halted by its kill switch for some of the segment (it sits in cash then).</p>
<table><tr><th>trial</th><th>parameters</th>${segHead}<th>return</th><th>Sharpe</th><th>Calmar</th><th>max DD</th><th>trades</th></tr>
${trialRows}</table>
</body></html>
`;
}
