/**
 * The ranker's training folds as BullMQ jobs (`coinrx ranker train --redis`), taken by the same
 * `coinrx worker` processes as the search's trials (src/optimize/queue-runner.ts). A job is one fit of
 * one model kind on one walk-forward fold: a pure function of its spec and the data, which the worker
 * finds by content hash, so the model is the same trained here, on one worker or on eight.
 */
import { createHash } from 'node:crypto';
import type * as tf from '@tensorflow/tfjs';
import { DataLocator, describeDataset, withDatasetFiles, type Dataset as DataFiles } from '../optimize/dataset.js';
import type { QueueRunner } from '../optimize/queue-runner.js';
import { buildDataset, type Dataset } from './dataset.js';
import type { ModelKind } from './models.js';
import type { Normalizer } from './normalizer.js';
import type { RankerConfig } from './ranker-config.js';
import type { Fold } from './splits.js';
import { trainFold, type FoldContext, type FoldResult, type FoldRunner, type FoldTask } from './train.js';

export interface RankerFoldSpec {
  readonly v: 1;
  /** The files the coordinator trained on, by content (src/optimize/dataset.ts). */
  readonly data: DataFiles;
  readonly config: RankerConfig;
  /** The training run's span (null: open), which the dataset is built with. */
  readonly from: number | null;
  readonly to: number | null;
  readonly kind: ModelKind;
  readonly fold: Fold;
}

export interface RankerFoldLabel {
  readonly model: ModelKind;
  readonly fold: number;
  readonly folds: number;
}

/** A fold's result as JSON (a job's return value): the binary arrays in base64, bit for bit. */
export interface FoldOutcome {
  readonly backend: string;
  readonly artifacts: Omit<tf.io.ModelArtifacts, 'weightData'> & { readonly weightData: string };
  readonly validationP: string;
  readonly validationT: string;
  readonly bestEpoch: number;
  readonly bestValLoss: number;
  readonly history: readonly { epoch: number; loss: number; valLoss: number }[];
  readonly seconds: number;
  readonly normalizer: Normalizer;
  readonly rows: number;
}

const base64 = (bytes: ArrayBufferView | ArrayBuffer): string => (bytes instanceof ArrayBuffer ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('base64');

function bytesOf(text: string): ArrayBuffer {
  const b = Buffer.from(text, 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export function encodeFoldResult(r: FoldResult): FoldOutcome {
  const { done } = r;
  return {
    backend: done.backend,
    artifacts: { ...done.artifacts, weightData: base64(done.artifacts.weightData as ArrayBuffer) },
    validationP: base64(done.validationP),
    validationT: base64(done.validationT),
    bestEpoch: done.bestEpoch,
    bestValLoss: done.bestValLoss,
    history: done.history,
    seconds: done.seconds,
    normalizer: r.normalizer,
    rows: r.rows,
  };
}

export function decodeFoldResult(o: FoldOutcome): FoldResult {
  return {
    done: {
      type: 'done',
      backend: o.backend,
      artifacts: { ...o.artifacts, weightData: bytesOf(o.artifacts.weightData) },
      validationP: new Float32Array(bytesOf(o.validationP)),
      validationT: new Float32Array(bytesOf(o.validationT)),
      bestEpoch: o.bestEpoch,
      bestValLoss: o.bestValLoss,
      history: o.history,
      seconds: o.seconds,
    },
    normalizer: o.normalizer,
    rows: o.rows,
  };
}

export function foldSpecKey(spec: RankerFoldSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

/** The folds as jobs on the queue; the data is described by content once per run. */
export class QueueFoldRunner implements FoldRunner {
  constructor(readonly queue: QueueRunner) {}

  async run(tasks: readonly FoldTask[], context: FoldContext, onDone: (done: number, total: number) => void, signal?: AbortSignal): Promise<FoldResult[]> {
    // Files the replay skipped as not market data are left out: a worker need not have them.
    const data = await describeDataset(context.paths, { stats: context.dataset.stats });
    const jobs = tasks.map((t) => {
      const spec: RankerFoldSpec = { v: 1, data, config: context.config, from: context.from ?? null, to: context.to ?? null, kind: t.kind, fold: t.fold };
      return { key: foldSpecKey(spec), spec, label: { model: t.kind, fold: t.index, folds: t.folds }, what: `${t.kind} fold ${t.index + 1}/${t.folds}` };
    });
    const outcomes = await this.queue.runJobs<RankerFoldSpec, RankerFoldLabel, FoldOutcome>('ranker-fold', jobs, onDone, signal);
    return outcomes.map(decodeFoldResult);
  }
}

/** The last dataset a worker built (the folds of one run share it), by data, configuration and span. */
let built: { key: string; dataset: Promise<Dataset> } | undefined;

/** Runs one fold job on a worker: the dataset rebuilt from the located files as the coordinator built it, then the fit. */
export async function runRankerFoldJob(spec: RankerFoldSpec, locator: DataLocator): Promise<FoldOutcome> {
  const key = createHash('sha256').update(JSON.stringify([spec.data.id, spec.config, spec.from, spec.to])).digest('hex');
  if (built?.key !== key) {
    const range = { ...(spec.from !== null ? { from: spec.from } : {}), ...(spec.to !== null ? { to: spec.to } : {}) };
    const dataset = withDatasetFiles(spec.data, locator, (paths) => buildDataset(paths, spec.config, range));
    built = { key, dataset };
    dataset.catch(() => {
      if (built?.key === key) built = undefined;
    });
  }
  const dataset = await built.dataset;
  return encodeFoldResult(await trainFold(dataset, spec.config, spec.kind, spec.fold));
}
