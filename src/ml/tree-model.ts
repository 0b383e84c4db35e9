import * as tf from '@tensorflow/tfjs';
import { linearScores } from './linear-model.js';

/**
 * Gradient-boosted regression trees on the per-time-step softmax over the coins (the `linear-rank`
 * objective, src/ml/linear-model.ts, with trees instead of a weighted sum: interactions such as "volatile
 * and rising" are in reach). Plain TypeScript, second-order boosting on histograms of the inputs'
 * training quantiles; nothing random, so the same rows give the same trees. Trees are added while the
 * validation loss falls (patience `patience` rounds) and cut back to the best round.
 */
export interface Tree {
  /** Node arrays: an inner node splits on `feature` at `threshold` (x < threshold → `left`); a leaf has feature −1 and its `value`. */
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

export interface TreeEnsemble {
  readonly features: number;
  readonly trees: readonly Tree[];
  /** The time head: a pointwise linear fit of time-to-target / H (trees only rank). */
  readonly time: { readonly w: readonly number[]; readonly b: number };
}

export interface TreeFitOptions {
  readonly rounds: number;
  readonly depth: number;
  readonly shrinkage: number;
  /** Quantile bins per input. */
  readonly bins: number;
  /** Least hessian mass in a leaf (about the rows' weight it must hold). */
  readonly minLeaf: number;
  /** Penalty on leaf values (λ of −G / (H + λ)). */
  readonly l2: number;
  readonly patience: number;
}

export interface TreeFit {
  readonly trees: Tree[];
  readonly history: { round: number; loss: number; valLoss: number }[];
  readonly bestRound: number;
  readonly bestValLoss: number;
}

interface Rows {
  readonly x: Float32Array;
  readonly y: ArrayLike<number>;
  readonly groups: ArrayLike<number>;
}

/** Softmax over each time step's coins: gradient p − q and diagonal hessian p(1 − p) of each row's score; the mean loss. */
function listwise(scores: Float64Array, rows: Rows, grad?: Float64Array, hess?: Float64Array): number {
  const { y, groups } = rows;
  const n = y.length;
  let loss = 0;
  let used = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let positives = 0;
    while (j < n && groups[j] === groups[i]) positives += y[j++] as number;
    if (positives > 0 && positives < j - i) {
      used++;
      let top = -Infinity;
      for (let r = i; r < j; r++) top = Math.max(top, scores[r] as number);
      let sum = 0;
      for (let r = i; r < j; r++) sum += Math.exp((scores[r] as number) - top);
      const logSum = top + Math.log(sum);
      for (let r = i; r < j; r++) {
        const q = (y[r] as number) / positives;
        loss -= q * ((scores[r] as number) - logSum);
        if (grad && hess) {
          const p = Math.exp((scores[r] as number) - logSum);
          grad[r] = p - q;
          hess[r] = Math.max(p * (1 - p), 1e-6);
        }
      }
    } else if (grad && hess) {
      for (let r = i; r < j; r++) {
        grad[r] = 0;
        hess[r] = 0;
      }
    }
    i = j;
  }
  return loss / Math.max(1, used);
}

/** Bin edges per input: up to `bins − 1` distinct training quantiles. */
function binEdges(x: Float32Array, n: number, f: number, bins: number): Float32Array[] {
  const edges: Float32Array[] = [];
  const column = new Float32Array(n);
  for (let j = 0; j < f; j++) {
    for (let i = 0; i < n; i++) column[i] = x[i * f + j] as number;
    const sorted = column.slice().sort();
    const out: number[] = [];
    for (let b = 1; b < bins; b++) {
      const v = sorted[Math.floor((b * n) / bins)] as number;
      if (out.length === 0 || v > (out.at(-1) as number)) out.push(v);
    }
    // An edge at the minimum would leave the left side empty.
    edges.push(Float32Array.from(out.filter((v) => v > (sorted[0] as number))));
  }
  return edges;
}

/** Bin of `v`: the number of edges ≤ v (so "bin ≤ k" is exactly "v < edges[k]"). */
function binOf(edges: Float32Array, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function fitTrees(train: Rows, validation: Rows, features: number, options: TreeFitOptions): TreeFit {
  const f = features;
  const n = train.y.length;
  const nv = validation.y.length;
  const edges = binEdges(train.x, n, f, options.bins);
  const binned = new Uint8Array(n * f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) binned[i * f + j] = binOf(edges[j] as Float32Array, train.x[i * f + j] as number);
  const scores = new Float64Array(n);
  const valScores = new Float64Array(nv);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const trees: Tree[] = [];
  const history: TreeFit['history'] = [];
  let bestValLoss = listwise(valScores, validation);
  let bestRound = 0;
  const node = new Int32Array(n);
  const maxBins = options.bins + 1;
  const gHist = new Float64Array(f * maxBins);
  const hHist = new Float64Array(f * maxBins);
  for (let round = 1; round <= options.rounds; round++) {
    const loss = listwise(scores, train, grad, hess);
    // Grow level by level; `node` holds each row's current node (−1: in a finished leaf).
    const tree: { feature: number[]; threshold: number[]; left: number[]; right: number[]; value: number[] } = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0] };
    node.fill(0);
    let open = [0];
    for (let level = 0; level < options.depth && open.length > 0; level++) {
      const next: number[] = [];
      for (const id of open) {
        gHist.fill(0);
        hHist.fill(0);
        let g = 0;
        let h = 0;
        for (let i = 0; i < n; i++) {
          if (node[i] !== id) continue;
          const gi = grad[i] as number;
          const hi = hess[i] as number;
          g += gi;
          h += hi;
          for (let j = 0; j < f; j++) {
            const k = j * maxBins + (binned[i * f + j] as number);
            gHist[k] = (gHist[k] as number) + gi;
            hHist[k] = (hHist[k] as number) + hi;
          }
        }
        tree.value[id] = (-g / (h + options.l2)) * options.shrinkage;
        const parent = (g * g) / (h + options.l2);
        let best = { gain: 1e-12, feature: -1, bin: -1 };
        for (let j = 0; j < f; j++) {
          let gl = 0;
          let hl = 0;
          const bins = (edges[j] as Float32Array).length;
          for (let b = 0; b < bins; b++) {
            gl += gHist[j * maxBins + b] as number;
            hl += hHist[j * maxBins + b] as number;
            const hr = h - hl;
            if (hl < options.minLeaf || hr < options.minLeaf) continue;
            const gr = g - gl;
            const gain = (gl * gl) / (hl + options.l2) + (gr * gr) / (hr + options.l2) - parent;
            if (gain > best.gain) best = { gain, feature: j, bin: b };
          }
        }
        if (best.feature < 0) continue;
        const left = tree.feature.length;
        const right = left + 1;
        for (let k = 0; k < 2; k++) {
          tree.feature.push(-1);
          tree.threshold.push(0);
          tree.left.push(-1);
          tree.right.push(-1);
          tree.value.push(0);
        }
        tree.feature[id] = best.feature;
        tree.threshold[id] = (edges[best.feature] as Float32Array)[best.bin] as number;
        tree.left[id] = left;
        tree.right[id] = right;
        for (let i = 0; i < n; i++) if (node[i] === id) node[i] = (binned[i * f + best.feature] as number) <= best.bin ? left : right;
        next.push(left, right);
      }
      open = next;
    }
    // Leaves at the last level get their values from their rows.
    for (const id of open) {
      let g = 0;
      let h = 0;
      for (let i = 0; i < n; i++) {
        if (node[i] !== id) continue;
        g += grad[i] as number;
        h += hess[i] as number;
      }
      tree.value[id] = (-g / (h + options.l2)) * options.shrinkage;
    }
    for (let i = 0; i < n; i++) scores[i] = (scores[i] as number) + (tree.value[node[i] as number] as number);
    for (let i = 0; i < nv; i++) valScores[i] = (valScores[i] as number) + treeValue(tree, validation.x, i * f);
    trees.push(tree);
    const valLoss = listwise(valScores, validation);
    history.push({ round, loss, valLoss });
    if (valLoss < bestValLoss - 1e-7) {
      bestValLoss = valLoss;
      bestRound = round;
    } else if (round - bestRound >= options.patience) break;
  }
  return { trees: trees.slice(0, bestRound), history, bestRound, bestValLoss };
}

function treeValue(tree: Tree, x: ArrayLike<number>, offset: number): number {
  let id = 0;
  while ((tree.feature[id] as number) >= 0) id = (x[offset + (tree.feature[id] as number)] as number) < (tree.threshold[id] as number) ? (tree.left[id] as number) : (tree.right[id] as number);
  return tree.value[id] as number;
}

/** Raw ranking scores (the sum of the trees) of rows of `features` inputs. */
export function treeScores(trees: readonly Tree[], x: ArrayLike<number>, features: number): Float64Array {
  const n = x.length / features;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const t of trees) s += treeValue(t, x, i * features);
    out[i] = s;
  }
  return out;
}

const TOPOLOGY = 'CoinrxTreeEnsemble';

/** The ensemble as tfjs model artifacts (the registry's model.json; no weights file content). */
export function treeArtifacts(ensemble: TreeEnsemble): tf.io.ModelArtifacts {
  return { modelTopology: { class_name: TOPOLOGY, config: ensemble } as unknown as tf.io.ModelArtifacts['modelTopology'], format: 'coinrx-trees', weightSpecs: [], weightData: new ArrayBuffer(0) };
}

export function ensembleFromArtifacts(artifacts: tf.io.ModelArtifacts): TreeEnsemble {
  const topology = artifacts.modelTopology as { class_name?: string; config?: TreeEnsemble } | undefined;
  if (topology?.class_name !== TOPOLOGY || !topology.config) throw new Error('model.json does not hold a tree ensemble');
  return topology.config;
}

/**
 * The ensemble behind the tfjs model interface the scorer and the evaluation use: `predict` on a
 * [rows, features] tensor gives the two heads, p = σ(sum of the trees) and t = σ(linear time head).
 */
export function treeModel(ensemble: TreeEnsemble): tf.LayersModel {
  const f = ensemble.features;
  const time = { w: Float64Array.from(ensemble.time.w), b: ensemble.time.b };
  const predict = (x: tf.Tensor): tf.Tensor[] => {
    const data = x.dataSync() as Float32Array;
    const n = data.length / f;
    const s = treeScores(ensemble.trees, data, f);
    const z = linearScores(time, data, f);
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    return [tf.tensor2d(Float32Array.from(s, sig), [n, 1]), tf.tensor2d(Float32Array.from(z, sig), [n, 1])];
  };
  return { predict, optimizer: {}, dispose: () => {} } as unknown as tf.LayersModel;
}
