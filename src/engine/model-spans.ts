import type { Config } from '../config.js';
import type { TimeRange } from '../core/time-range.js';

/** Where the data a configured model has not seen begins: after its training, validation and purge. */
export interface CleanSpan {
  /** First instant of clean test data (epoch ms). */
  readonly from: number;
  /** What was trained, for messages: `ranking model models/v3`. */
  readonly what: string;
}

/**
 * The latest clean start over the models the configuration uses: a ranker's `spans.testFrom` (after its
 * validation span, the purge and the embargo) and an RL agent's `trainedOn.to` (after training and
 * selection). Undefined with the heuristic score and the rule-based strategy.
 */
export async function cleanSpanOf(config: Config): Promise<CleanSpan | undefined> {
  const spans: CleanSpan[] = [];
  if (config.ranking.model !== '') {
    const { readMeta, resolveModelDir } = await import('../ml/registry.js');
    const meta = await readMeta(config.ranking.model);
    spans.push({ from: meta.spans.testFrom, what: `ranking model ${await resolveModelDir(config.ranking.model)}` });
  }
  if (config.strategy.agent !== '') {
    const [{ readFile }, { join }, { resolveModelDir }] = await Promise.all([import('node:fs/promises'), import('node:path'), import('../ml/registry.js')]);
    const dir = await resolveModelDir(config.strategy.agent);
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { trainedOn?: { to?: number } };
    if (typeof meta.trainedOn?.to === 'number') spans.push({ from: meta.trainedOn.to, what: `RL agent ${dir}` });
  }
  return spans.sort((a, b) => b.from - a.from)[0];
}

export type OverlapDecision =
  | { readonly kind: 'clean'; readonly range: TimeRange; readonly note?: string }
  | { readonly kind: 'in-sample'; readonly range: TimeRange; readonly warning: string }
  | { readonly kind: 'refused'; readonly error: string };

const iso = (t: number): string => new Date(t).toISOString();

/**
 * A backtest of a trained model only on data the model has not seen, unless asked otherwise:
 * - no start given: the range starts where the clean data does (earlier events only warm up), said in a note;
 * - a start inside the model's training span: refused, unless `allowOverlap`, then run with a warning;
 * - a start at or after the clean start: as given.
 */
export function decideOverlap(range: TimeRange, clean: CleanSpan | undefined, allowOverlap: boolean): OverlapDecision {
  if (!clean) return { kind: 'clean', range };
  if (range.to !== undefined && range.to <= clean.from && !allowOverlap) {
    return { kind: 'refused', error: `the whole range ends (${iso(range.to)}) before the clean test data of the ${clean.what} starts (${iso(clean.from)}): the model was trained on it; --allow-overlap runs it anyway, in-sample` };
  }
  if (range.from === undefined) {
    if (allowOverlap) return { kind: 'in-sample', range, warning: `trading the whole data with the ${clean.what}, whose clean test data starts ${iso(clean.from)}: the results before it are in-sample` };
    return { kind: 'clean', range: range.to === undefined ? { from: clean.from } : { from: clean.from, to: range.to }, note: `trading from ${iso(clean.from)}, where the clean test data of the ${clean.what} starts (earlier events only warm the features up; --from to choose a later start, --allow-overlap to include its training span)` };
  }
  if (range.from >= clean.from) return { kind: 'clean', range };
  if (!allowOverlap) return { kind: 'refused', error: `the range starts ${iso(range.from)}, inside the span the ${clean.what} was trained and validated on (clean test data from ${iso(clean.from)}): start there, or add --allow-overlap to run in-sample anyway` };
  return { kind: 'in-sample', range, warning: `the range starts ${iso(range.from)}, inside the span the ${clean.what} was trained on (clean from ${iso(clean.from)}): the results until then are in-sample` };
}
