import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { readArtifacts, writeArtifacts } from '../file-io.js';
import type { Normalizer } from '../normalizer.js';
import { InputError } from '../../core/input-error.js';
import { resolveModelDir } from '../registry.js';
import type { SignalSpec } from './market-signal.js';
import { OBSERVATION_SIZE } from './observation.js';
import type { QNetworkSpec, QWeights } from './q-network.js';
import { parseRlConfig, type ActionConfig } from './rl-config.js';

/** What a saved agent needs besides its weights. */
export interface AgentMeta {
  readonly version: string;
  readonly kind: 'rl-dqn';
  readonly generation: number;
  readonly spec: QNetworkSpec;
  readonly featureNames: readonly string[];
  readonly positionFeatureNames: readonly string[];
  readonly normalizer: Normalizer;
  /** Where the observation's ranker probability and expected value come from (market-signal.ts); absent: zeros. */
  readonly signal?: SignalSpec;
  /** Event-time span the agent was trained and selected on [from, to): evaluation must lie outside it. */
  readonly trainedOn: { readonly from: number; readonly to: number };
  readonly data: readonly string[];
  readonly rlConfig: unknown;
  readonly engineConfig: unknown;
}

export interface LoadedAgent {
  readonly dir: string;
  readonly meta: AgentMeta;
  readonly weights: QWeights;
}

/** Saves weights in the model.json + weights.bin layout of src/ml/file-io.ts, plus meta.json. */
export async function saveAgent(dir: string, weights: QWeights, meta: AgentMeta): Promise<void> {
  await mkdir(dir, { recursive: true });
  const total = weights.tensors.reduce((a, t) => a + t.data.length, 0);
  const data = new Float32Array(total);
  let o = 0;
  for (const t of weights.tensors) {
    data.set(t.data, o);
    o += t.data.length;
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: { kind: 'coinrx-dqn', spec: weights.spec } as unknown as tf.io.ModelArtifacts['modelTopology'],
    format: 'coinrx-dqn',
    generatedBy: 'coinrx src/ml/rl',
    weightSpecs: weights.tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: 'float32' as const })),
    weightData: data.buffer,
  };
  await writeArtifacts(dir, artifacts);
  await writeFile(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

/** `dir` is a version folder or a root with an ACTIVE pointer / version folders (src/ml/registry.ts). */
export async function loadAgent(dir: string): Promise<LoadedAgent> {
  const versionDir = await resolveModelDir(dir);
  const meta = JSON.parse(await readFile(join(versionDir, 'meta.json'), 'utf8')) as AgentMeta;
  if (meta.kind !== 'rl-dqn') throw new InputError(`${versionDir} is not an RL agent (kind ${String(meta.kind)}: a ranker model, for ranker evaluate and ranking.model; an agent is what coinrx agent train --out writes)`);
  // An agent from an older build observes other inputs: say so rather than act on misread ones.
  if (meta.spec.inputs !== OBSERVATION_SIZE) throw new Error(`agent ${versionDir} was trained on another observation (${meta.spec.inputs} inputs) than this build computes (${OBSERVATION_SIZE}): train it again with \`coinrx agent train\``);
  const artifacts = await readArtifacts(versionDir);
  const buffer = artifacts.weightData as ArrayBuffer;
  let offset = 0;
  const tensors = (artifacts.weightSpecs ?? []).map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(buffer.slice(offset * 4, (offset + size) * 4));
    offset += size;
    return { name: s.name, shape: [...s.shape], data };
  });
  return { dir: versionDir, meta, weights: { spec: meta.spec, tensors } };
}

/** The action space an agent was trained with: its saved RL settings', or BUY anywhere for agents saved before `actions` existed. */
export function agentActions(meta: AgentMeta): ActionConfig {
  const raw = meta.rlConfig as { actions?: unknown } | undefined;
  return raw && typeof raw === 'object' && 'actions' in raw ? parseRlConfig(raw).actions : { ...parseRlConfig({}).actions, candidates: false };
}
