import { existsSync, statSync } from 'node:fs';
import { InputError } from '../core/input-error.js';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import type { Calibration } from './calibration.js';
import { FEATURE_NAMES } from './feature-vector.js';
import { compileModel, isTreeKind, type ModelKind } from './models.js';
import { fileHandler, readArtifacts, writeArtifacts } from './file-io.js';
import { ensembleFromArtifacts, treeModel } from './tree-model.js';
import type { Normalizer } from './normalizer.js';
import type { RankerConfig } from './ranker-config.js';
import type { SimpleRule } from './simple-rules.js';
import type { Span } from './splits.js';

const ACTIVE = 'ACTIVE';
const META = 'meta.json';

/** Everything needed to score with a version and to know what it was trained on. */
export interface ModelMeta {
  readonly version: string;
  readonly createdAt: string;
  readonly kind: ModelKind;
  readonly backend: string;
  readonly featureNames: readonly string[];
  readonly sequenceLength: number;
  readonly normalizer: Normalizer;
  readonly calibration: Calibration;
  /** Share of +1 labels in the training rows: the base-rate forecast a model must beat. */
  readonly baseRate: number;
  /** The exact configuration the version was trained with. */
  readonly config: RankerConfig;
  readonly data: { readonly paths: readonly string[]; readonly files: readonly string[]; readonly firstTs: number; readonly lastTs: number };
  readonly spans: { readonly train: Span; readonly validation: Span; readonly testFrom: number };
  /**
   * What ranks when this version is loaded: the network, or the simple rule that beat it on the
   * validation block (precision@k); absent in versions trained before the check (the network).
   */
  readonly ranksWith?: 'model' | SimpleRule;
  readonly metrics: Record<string, unknown>;
}

export interface LoadedModel {
  readonly dir: string;
  readonly meta: ModelMeta;
  readonly model: tf.LayersModel;
}

/** Version folders are `v1`, `v2`, …: sortable by number, never reused. */
export async function listVersions(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const names = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && /^v\d+$/.test(e.name)).map((e) => e.name);
  return names.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

export async function activeVersion(root: string): Promise<string | undefined> {
  const file = join(root, ACTIVE);
  if (!existsSync(file)) return (await listVersions(root)).at(-1);
  return (await readFile(file, 'utf8')).trim() || undefined;
}

export async function setActive(root: string, version: string): Promise<void> {
  if (!existsSync(join(root, version, META))) throw new Error(`no model version ${version} in ${root}`);
  // Write then rename: a reader never sees a half-written pointer.
  await writeFile(join(root, `${ACTIVE}.tmp`), `${version}\n`);
  await rename(join(root, `${ACTIVE}.tmp`), join(root, ACTIVE));
}

/** Saves a new version (model.json + weights.bin + meta.json) and makes it the active one. */
export async function saveVersion(root: string, artifacts: tf.io.ModelArtifacts, meta: Omit<ModelMeta, 'version'>, options: { activate?: boolean } = {}): Promise<{ version: string; dir: string }> {
  await mkdir(root, { recursive: true });
  const last = (await listVersions(root)).at(-1);
  const version = `v${last ? Number(last.slice(1)) + 1 : 1}`;
  const dir = join(root, version);
  await mkdir(dir);
  await writeArtifacts(dir, artifacts);
  await writeFile(join(dir, META), `${JSON.stringify({ version, ...meta }, null, 2)}\n`);
  if (options.activate ?? true) await setActive(root, version);
  return { version, dir };
}

/** `dir` is a version folder, or a registry root (its active version is loaded). */
export async function resolveModelDir(dir: string): Promise<string> {
  if (existsSync(join(dir, META))) return dir;
  // A user's mistake, said in one line: before, a missing folder read as an empty one and a file as ENOTDIR.
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) throw new InputError(`${dir}: no such model folder (coinrx ranker train and agent train --out write them)`);
  if (!stat.isDirectory()) throw new InputError(`${dir}: a file, not a model folder (give the folder coinrx ranker train or agent train wrote, or one of its version folders v1, v2, …)`);
  const version = await activeVersion(dir);
  if (!version) throw new InputError(`${dir} holds no model version (expected ${META} or version folders v1, v2, …; coinrx ranker train and agent train --out write them)`);
  return join(dir, version);
}

export async function readMeta(dir: string): Promise<ModelMeta> {
  return JSON.parse(await readFile(join(await resolveModelDir(dir), META), 'utf8')) as ModelMeta;
}

export async function loadVersion(dir: string): Promise<LoadedModel> {
  await initBackend();
  const versionDir = await resolveModelDir(dir);
  const meta = await readMeta(versionDir);
  // A model from an older build reads other inputs: say so rather than fail inside tfjs on a shape.
  if (meta.featureNames.join(',') !== FEATURE_NAMES.join(',')) throw new Error(`model ${versionDir} was trained on other features (${meta.featureNames.length} inputs) than this build computes (${FEATURE_NAMES.length}): train it again with \`coinrx ranker train\``);
  // Boosted trees are no tfjs network: their model.json holds the trees, served behind the same predict.
  if (isTreeKind(meta.kind)) return { dir: versionDir, meta, model: treeModel(ensembleFromArtifacts(await readArtifacts(versionDir))) };
  const model = await tf.loadLayersModel(fileHandler(versionDir));
  // loadLayersModel restores the optimizer when model.json has a training config; compile only when it had none.
  if (!(model as { optimizer?: unknown }).optimizer) compileModel(model, { learningRate: meta.config.train.learningRate });
  return { dir: versionDir, meta, model };
}
