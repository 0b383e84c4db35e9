import { InputError } from '../core/index.js';

/** A half-open time span [from, to) in event-time milliseconds. */
export interface Span {
  readonly from: number;
  readonly to: number;
}

export interface Fold {
  readonly train: Span;
  readonly validation: Span;
}

export interface WalkForwardOptions {
  /** The whole span available for training and validation. */
  readonly span: Span;
  readonly folds: number;
  readonly validationMs: number;
  /** Label horizon H: a sample at t reads prices up to t + H. */
  readonly horizonMs: number;
  /** Gap after a training span; must be ≥ H so no training label reads a price of the next span. */
  readonly purgeMs: number;
  /** Extra gap after the purge, against the serial correlation of features built on long windows. */
  readonly embargoMs: number;
  /** With it, `folds` is an upper bound: the oldest folds whose training span would be shorter are dropped (at least one fold stays). */
  readonly minTrainMs?: number;
}

/**
 * Walk-forward folds, oldest first: the validation blocks tile the end of the span, each fold trains on
 * everything before its block minus the purge and embargo. Nothing is shuffled across time and no
 * fold trains on data after its validation block. The last fold is the one the shipped model uses.
 */
export function walkForwardFolds(options: WalkForwardOptions): Fold[] {
  const { span, validationMs, horizonMs, purgeMs, embargoMs } = options;
  let folds = options.folds;
  if (purgeMs < horizonMs) throw new Error(`purge gap ${purgeMs} ms is shorter than the label horizon ${horizonMs} ms: training labels would read validation prices`);
  if (!(folds >= 1) || !(validationMs > 0)) throw new Error('walkForwardFolds: need folds ≥ 1 and a positive validation length');
  const gap = purgeMs + embargoMs;
  const minTrain = options.minTrainMs;
  if (minTrain !== undefined) while (folds > 1 && span.to - folds * validationMs - gap - span.from < minTrain) folds--;
  const out: Fold[] = [];
  for (let k = 0; k < folds; k++) {
    const validation = { from: span.to - (folds - k) * validationMs, to: span.to - (folds - k - 1) * validationMs };
    const train = { from: span.from, to: validation.from - gap };
    if (!(train.to > train.from)) throw new InputError(`walk-forward fold ${k + 1}/${folds} leaves no training data: the span (${hours(span.to - span.from)}) is too short for ${folds} validation block(s) of ${hours(validationMs)} plus the ${hours(gap)} purge and embargo; give a longer span or a shorter split.validation`);
    out.push({ train, validation });
  }
  return out;
}

/** Where a test span may start after a model trained up to `trainedTo` (its validation end): purge + embargo later. */
export function testStart(trainedTo: number, purgeMs: number, embargoMs: number): number {
  return trainedTo + purgeMs + embargoMs;
}

/** Whether a sample at `t` may be used in `span` (its label is allowed to read beyond `span.to`; the gap after it covers that). */
export function inSpan(t: number, span: Span): boolean {
  return t >= span.from && t < span.to;
}

const hours = (ms: number): string => `${+(ms / 3_600_000).toFixed(2)} h`;
