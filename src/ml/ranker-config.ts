import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { issueLines } from '../config.js';
import { InputError, parseDuration } from '../core/index.js';
import { MODEL_KINDS } from './model-kind.js';

const duration = z.union([z.number().nonnegative(), z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
})]);

/**
 * Everything that decides what the ranker learns, saved verbatim with each model version so a version
 * can be rebuilt exactly. Durations are milliseconds or text (`12h`).
 */
export const rankerConfigSchema = z
  .object({
    label: z
      .object({
        /** Take-profit return, net of fees on both sides (0.02 = +2 %). */
        target: z.number().positive().default(0.02),
        /** Stop-loss return, net of fees, as a positive number. */
        stop: z.number().positive().default(0.02),
        /** Horizon H of the first-passage label. */
        horizon: duration.default(12 * 3_600_000),
        /** Fee per side; with slippage it is part of the target (Binance spot: 0.1 %). */
        feeRate: z.number().min(0).max(0.1).default(0.001),
        /** Ticks paid on entry (the buy fills one tick above the last price). */
        slippageTicks: z.number().int().nonnegative().default(1),
      })
      .strict()
      .prefault({}),
    features: z
      .object({
        /** Snapshot cadence (for 5m candles: 5m, i.e. on every close). */
        every: duration.default(5 * 60_000),
        /** Samples before first event + warmup are not used (24h regime and high/low need a day). */
        warmup: duration.default(24 * 3_600_000),
        /** Snapshots per sequence for the sequence model. */
        sequenceLength: z.number().int().min(2).max(64).default(6),
      })
      .strict()
      .prefault({}),
    split: z
      .object({
        /** Length of each validation block (the last block is used for early stopping and calibration). */
        validation: duration.default(10 * 24 * 3_600_000),
        /** Walk-forward folds for model selection (each adds a training run per model). */
        folds: z.number().int().min(1).max(10).default(1),
        /** Gap between a training span and the next validation/test span; at least the horizon (labels look H ahead). Default: the horizon. */
        purge: duration.optional(),
        /** Extra gap after the purge: features of neighbouring samples are correlated through their long windows. */
        embargo: duration.default(24 * 3_600_000),
        /**
         * Least training span of the first fold: with it, `folds` is an upper bound and the oldest folds
         * that would train on less are dropped (a short history gets fewer validation blocks, not an error).
         */
        minTrain: duration.optional(),
      })
      .strict()
      .prefault({}),
    train: z
      .object({
        seed: z.number().int().default(1),
        epochs: z.number().int().positive().default(30),
        batchSize: z.number().int().positive().default(512),
        /** Epochs without validation improvement before stopping. */
        patience: z.number().int().positive().default(4),
        learningRate: z.number().positive().default(0.001),
        /** Every n-th snapshot time is a training sample (neighbours' labels overlap almost fully). */
        stride: z.number().int().positive().default(3),
        /** Stride for the sequence model, whose samples cost `sequenceLength` times more. */
        sequenceStride: z.number().int().positive().default(6),
        hidden: z.array(z.number().int().positive()).default([32, 16]),
        gruUnits: z.number().int().positive().default(16),
        /** Penalties tried by the linear kinds; the one with the lowest validation loss is kept. */
        l2: z.array(z.number().nonnegative()).min(1).default([1e-3, 1e-2, 1e-1, 1, 10]),
        /** The boosted trees of `gbm-rank`: rounds (cut back to the best on validation), depth, shrinkage, quantile bins, least hessian mass per leaf, leaf penalty, patience in rounds. */
        trees: z
          .object({
            rounds: z.number().int().positive().default(300),
            depth: z.number().int().min(1).max(6).default(3),
            shrinkage: z.number().positive().max(1).default(0.05),
            bins: z.number().int().min(2).max(255).default(32),
            minLeaf: z.number().positive().default(20),
            l2: z.number().nonnegative().default(1),
            patience: z.number().int().positive().default(20),
          })
          .strict()
          .prefault({}),
        /**
         * Models to train; the one with the best precision@k over every fold's validation block is kept
         * (`linear`: L2 logistic regression, `linear-rank`: linear on a per-time-step softmax over the coins, `gbm-rank`: boosted trees on it).
         */
        models: z.array(z.enum(MODEL_KINDS)).min(1).default(['mlp', 'gru']),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type RankerConfig = z.output<typeof rankerConfigSchema>;

export function parseRankerConfig(raw: unknown): RankerConfig {
  const result = rankerConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw new InputError(`invalid ranker configuration: ${issueLines(result.error.issues, rankerConfigSchema).join('; ')}`);
  const config = result.data;
  const purge = config.split.purge ?? config.label.horizon;
  if (purge < config.label.horizon) throw new InputError(`invalid ranker configuration: split.purge (${purge} ms) must be at least label.horizon (${config.label.horizon} ms)`);
  return { ...config, split: { ...config.split, purge } };
}

/** A JSON file, or the JSON itself when the value starts with `{` (`--ranker-config '{"label":{"target":0.05}}'`). */
export function loadRankerConfig(source: string | undefined): RankerConfig {
  if (source === undefined) return parseRankerConfig({});
  const inline = source.trimStart().startsWith('{');
  let text: string;
  try {
    text = inline ? source : readFileSync(source, 'utf8');
  } catch (error) {
    throw new InputError(`--ranker-config ${source}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); a JSON file or the JSON itself`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${inline ? '--ranker-config' : source}: not valid JSON (${(error as Error).message})`);
  }
  return parseRankerConfig(raw);
}

/** The purge gap in force (the schema leaves it optional so its default can follow the horizon). */
export function purgeOf(config: RankerConfig): number {
  return config.split.purge ?? config.label.horizon;
}
