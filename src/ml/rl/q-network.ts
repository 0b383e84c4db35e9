import { Random } from '../../core/random.js';
import { ACTION_COUNT } from './actions.js';

/** Shape of the Q network: an MLP trunk, then either one linear head or the dueling value/advantage heads. */
export interface QNetworkSpec {
  readonly inputs: number;
  readonly hidden: readonly number[];
  readonly actions: number;
  readonly dueling: boolean;
}

/** Named weight tensors, row-major; dense kernels are [in, out]. */
export interface QWeights {
  readonly spec: QNetworkSpec;
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[]; readonly data: Float32Array }[];
}

export function qSpec(inputs: number, hidden: readonly number[], dueling: boolean): QNetworkSpec {
  return { inputs, hidden: [...hidden], actions: ACTION_COUNT, dueling };
}

/** Seeded Glorot-uniform kernels and zero biases, drawn in JS (the same on every backend). */
export function initWeights(spec: QNetworkSpec, seed: number): QWeights {
  const random = new Random(seed);
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  const dense = (name: string, fanIn: number, fanOut: number): void => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const w = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < w.length; i++) w[i] = (random.next() * 2 - 1) * limit;
    tensors.push({ name: `${name}/kernel`, shape: [fanIn, fanOut], data: w });
    tensors.push({ name: `${name}/bias`, shape: [fanOut], data: new Float32Array(fanOut) });
  };
  let width = spec.inputs;
  spec.hidden.forEach((units, i) => {
    dense(`dense_${i}`, width, units);
    width = units;
  });
  if (spec.dueling) {
    dense('value', width, 1);
    dense('advantage', width, spec.actions);
  } else dense('q', width, spec.actions);
  return { spec, tensors };
}

export function cloneWeights(w: QWeights): QWeights {
  return { spec: w.spec, tensors: w.tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: t.data.slice() })) };
}

/**
 * Q values of `n` observations (rows of `spec.inputs`) into `out` (rows of `spec.actions`), in plain JS:
 * the acting path (self-play, validation, the live strategy). A network this small answers a batch of
 * markets in microseconds this way, without a tensor round trip; the training path (tfjs) computes the
 * same function (checked by a spec).
 */
export class QForward {
  readonly spec: QNetworkSpec;
  readonly #layers: { w: Float32Array; b: Float32Array; in: number; out: number }[] = [];
  readonly #head: { w: Float32Array; b: Float32Array; out: number }[] = [];
  #buffers: Float32Array[] = [];

  constructor(weights: QWeights) {
    this.spec = weights.spec;
    const byName = new Map(weights.tensors.map((t) => [t.name, t]));
    const get = (name: string) => {
      const t = byName.get(name);
      if (!t) throw new Error(`Q weights: missing ${name}`);
      return t;
    };
    let width = this.spec.inputs;
    this.spec.hidden.forEach((units, i) => {
      this.#layers.push({ w: get(`dense_${i}/kernel`).data, b: get(`dense_${i}/bias`).data, in: width, out: units });
      width = units;
    });
    if (this.spec.dueling) {
      this.#head.push({ w: get('value/kernel').data, b: get('value/bias').data, out: 1 });
      this.#head.push({ w: get('advantage/kernel').data, b: get('advantage/bias').data, out: this.spec.actions });
    } else this.#head.push({ w: get('q/kernel').data, b: get('q/bias').data, out: this.spec.actions });
  }

  run(x: Float32Array, n: number, out: Float32Array): void {
    const { inputs, actions } = this.spec;
    if (this.#buffers.length === 0) {
      const maxWidth = Math.max(inputs, ...this.spec.hidden, actions + 1);
      this.#buffers = [new Float32Array(maxWidth), new Float32Array(maxWidth), new Float32Array(actions + 1)];
    }
    const layers = this.#layers;
    const heads = this.#head;
    const dueling = this.spec.dueling;
    const tmp = this.#buffers[2] as Float32Array;
    for (let r = 0; r < n; r++) {
      let src = this.#buffers[0] as Float32Array;
      let dst = this.#buffers[1] as Float32Array;
      const base = r * inputs;
      for (let j = 0; j < inputs; j++) src[j] = x[base + j] as number;
      let width = inputs;
      for (let l = 0; l < layers.length; l++) {
        const layer = layers[l] as { w: Float32Array; b: Float32Array; out: number };
        const w = layer.w;
        const units = layer.out;
        dst.set(layer.b);
        for (let i = 0; i < width; i++) {
          const v = src[i] as number;
          if (v === 0) continue;
          let row = i * units;
          for (let o = 0; o < units; o++) dst[o] = (dst[o] as number) + v * (w[row++] as number);
        }
        for (let o = 0; o < units; o++) if ((dst[o] as number) < 0) dst[o] = 0;
        width = units;
        const t = src;
        src = dst;
        dst = t;
      }
      for (let h = 0; h < heads.length; h++) {
        const head = heads[h] as { w: Float32Array; b: Float32Array; out: number };
        const into = dueling ? (h === 0 ? tmp : dst) : out;
        const offset = dueling ? 0 : r * actions;
        const units = head.out;
        for (let o = 0; o < units; o++) into[offset + o] = head.b[o] as number;
        for (let i = 0; i < width; i++) {
          const v = src[i] as number;
          if (v === 0) continue;
          let row = i * units;
          for (let o = 0; o < units; o++) into[offset + o] = (into[offset + o] as number) + v * (head.w[row++] as number);
        }
      }
      if (dueling) {
        let mean = 0;
        for (let a = 0; a < actions; a++) mean += dst[a] as number;
        mean /= actions;
        const v = tmp[0] as number;
        for (let a = 0; a < actions; a++) out[r * actions + a] = v + (dst[a] as number) - mean;
      }
    }
  }
}
