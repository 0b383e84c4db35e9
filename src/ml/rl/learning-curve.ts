import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The learning curve: mean validation return (with costs) of best_player and current_player per
 * generation, promotions marked, as an SVG chart and a CSV beside it.
 */
export interface GenerationRecord {
  readonly generation: number;
  /** best_player during this generation, and the candidate (current_player) it was compared with. */
  readonly best: string;
  readonly candidate: string;
  readonly memory: number;
  readonly selfPlay: { readonly meanReturn: number; readonly epsilon: number; readonly trades: number };
  readonly training: { readonly backend: string; readonly losses: readonly number[]; readonly samplesPerSecond: number; readonly seconds: number };
  readonly validation: {
    readonly episodes: number;
    readonly best: readonly number[];
    readonly current: readonly number[];
    readonly meanBest: number;
    readonly meanCurrent: number;
    readonly meanDiff: number;
    readonly pValue: number;
    readonly test: string;
    /** Candidates tried so far (this one included) and the significance level this one was held to. */
    readonly candidatesTried: number;
    readonly alpha: number;
    readonly tradesBest: number;
    readonly tradesCurrent: number;
    readonly feesBest: number;
    readonly feesCurrent: number;
    /** The player the gate kept (`player`) tested against cash on the same episodes (every return 0; `meanDiff` player − cash), when it traded and the incumbent is not cash. */
    readonly cash?: { readonly player: string; readonly meanDiff: number; readonly pValue: number; readonly candidatesTried: number; readonly alpha: number; readonly promoted: boolean };
  };
  readonly promoted: boolean;
  /** best_player after the decision. */
  readonly bestAfter: string;
  readonly seconds: number;
}

export async function writeLearningCurve(out: string, generations: readonly GenerationRecord[]): Promise<void> {
  const rows = ['generation,best,current,mean_diff,p_value,promoted,best_after'];
  for (const g of generations) rows.push([g.generation, g.validation.meanBest, g.validation.meanCurrent, g.validation.meanDiff, g.validation.pValue, g.promoted, g.bestAfter].join(','));
  await writeFile(join(out, 'learning-curve.csv'), `${rows.join('\n')}\n`);
  await writeFile(join(out, 'learning-curve.svg'), learningCurveSvg(generations));
}

export function learningCurveSvg(generations: readonly GenerationRecord[]): string {
  const W = 640;
  const H = 360;
  const L = 70;
  const R = 20;
  const T = 40;
  const Bm = 50;
  const values = generations.flatMap((g) => [g.validation.meanBest * 100, g.validation.meanCurrent * 100]);
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.1;
  lo -= pad;
  hi += pad;
  const n = Math.max(1, generations.length);
  const x = (i: number): number => L + ((W - L - R) * (n === 1 ? 0.5 : i / (n - 1)));
  const y = (v: number): number => T + ((H - T - Bm) * (hi - v)) / (hi - lo);
  const line = (pick: (g: GenerationRecord) => number): string => generations.map((g, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(pick(g) * 100).toFixed(1)}`).join(' ');
  const ticks = 5;
  const grid: string[] = [];
  for (let t = 0; t <= ticks; t++) {
    const v = lo + ((hi - lo) * t) / ticks;
    grid.push(`<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${v.toFixed(2)}%</text>`);
  }
  const labels = generations.map((g, i) => `<text x="${x(i).toFixed(1)}" y="${H - Bm + 16}" text-anchor="middle" font-size="11">${g.generation}</text>`);
  const marks = generations.map((g, i) => (g.promoted ? `<circle cx="${x(i).toFixed(1)}" cy="${y(g.validation.meanCurrent * 100).toFixed(1)}" r="5" fill="none" stroke="#d62728" stroke-width="2"><title>promoted ${g.candidate} (p=${g.validation.pValue.toFixed(4)})</title></circle>` : ''));
  const dots = (pick: (g: GenerationRecord) => number, color: string): string => generations.map((g, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(pick(g) * 100).toFixed(1)}" r="3" fill="${color}"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">Validation return per generation (paired episodes, with costs)</text>
${grid.join('\n')}
<line x1="${L}" x2="${W - R}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="#999"/>
<path d="${line((g) => g.validation.meanBest)}" fill="none" stroke="#1f77b4" stroke-width="2"/>${dots((g) => g.validation.meanBest, '#1f77b4')}
<path d="${line((g) => g.validation.meanCurrent)}" fill="none" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="5,3"/>${dots((g) => g.validation.meanCurrent, '#ff7f0e')}
${marks.join('')}
${labels.join('')}
<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle" font-size="12">generation</text>
<text x="${L}" y="${T - 8}" font-size="11" fill="#1f77b4">— best_player</text><text x="${L + 100}" y="${T - 8}" font-size="11" fill="#ff7f0e">- - current_player</text><text x="${L + 230}" y="${T - 8}" font-size="11" fill="#d62728">○ promoted</text>
</svg>
`;
}
