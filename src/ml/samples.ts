import { FEATURE_COUNT } from './feature-vector.js';
import { UNKNOWN, type Dataset } from './dataset.js';
import { normalizeInto, type Normalizer } from './normalizer.js';
import { stepsOf, type ModelKind } from './models.js';
import type { Span } from './splits.js';

/**
 * Rows of `span` with a known label, every `stride`-th snapshot time (neighbouring labels overlap
 * almost completely, so thinning costs little information and saves most of the training time).
 */
export function selectRows(d: Dataset, span: Span, options: { stride?: number; everyMs: number; notBefore?: number }): Int32Array {
  const stride = options.stride ?? 1;
  const notBefore = options.notBefore ?? -Infinity;
  const out: number[] = [];
  for (let r = 0; r < d.rows; r++) {
    const t = d.ts[r] as number;
    if (t < span.from || t >= span.to || t < notBefore || d.label[r] === UNKNOWN) continue;
    if (stride > 1 && Math.round(t / options.everyMs) % stride !== 0) continue;
    out.push(r);
  }
  return Int32Array.from(out);
}

/**
 * Normalised model inputs for `rows`: one feature row each for the MLP, the last `steps` rows of the
 * same market for the sequence model (oldest first; a market with a shorter history repeats its oldest
 * row, as the live scorer does).
 */
export function buildInputs(d: Dataset, rows: ArrayLike<number>, norm: Normalizer, kind: ModelKind, steps: number): Float32Array {
  const n = rows.length;
  const width = FEATURE_COUNT;
  const s = stepsOf(kind, steps);
  const out = new Float32Array(n * s * width);
  const chain: number[] = new Array<number>(s);
  for (let i = 0; i < n; i++) {
    let r = rows[i] as number;
    for (let k = s - 1; k >= 0; k--) {
      chain[k] = r;
      const p = d.prev[r] as number;
      if (p >= 0) r = p;
    }
    for (let k = 0; k < s; k++) normalizeInto(norm, d.x, (chain[k] as number) * width, out, (i * s + k) * width);
  }
  return out;
}

/** Targets: `p` = 1 when the target came first; `t` = time to the target / H (1 when not reached). */
export function buildTargets(d: Dataset, rows: ArrayLike<number>, horizonMs: number): { p: Float32Array; t: Float32Array } {
  const n = rows.length;
  const p = new Float32Array(n);
  const t = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as number;
    const hit = d.label[r] === 1;
    p[i] = hit ? 1 : 0;
    t[i] = hit ? Math.min(1, (d.timeMs[r] as number) / horizonMs) : 1;
  }
  return { p, t };
}
