/**
 * Per-feature standardisation fitted on the training rows only (fitting on everything would leak the
 * validation and test spans' scale into training). Outliers are clipped at ±`clip` standard deviations:
 * crypto features have fat tails that would otherwise dominate an MLP's first layer.
 */
export interface Normalizer {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly clip: number;
}

export function fitNormalizer(x: Float32Array, width: number, rows: ArrayLike<number>, clip = 5): Normalizer {
  const mean = new Float64Array(width);
  const sq = new Float64Array(width);
  const n = rows.length;
  for (let i = 0; i < n; i++) {
    const base = (rows[i] as number) * width;
    for (let j = 0; j < width; j++) {
      const v = x[base + j] as number;
      mean[j] = (mean[j] as number) + v;
      sq[j] = (sq[j] as number) + v * v;
    }
  }
  const m: number[] = [];
  const s: number[] = [];
  for (let j = 0; j < width; j++) {
    const mu = n > 0 ? (mean[j] as number) / n : 0;
    const variance = n > 1 ? Math.max(0, (sq[j] as number) / n - mu * mu) : 0;
    const sd = Math.sqrt(variance);
    m.push(mu);
    // A constant input (e.g. the 1m window on 5m candles) carries nothing: scale 1 keeps it at 0.
    s.push(sd > 1e-12 ? sd : 1);
  }
  return { mean: m, std: s, clip };
}

/** Normalised copy of one row (`src` at `offset`) written into `out` at `outOffset`. */
export function normalizeInto(n: Normalizer, src: Float32Array, offset: number, out: Float32Array, outOffset: number): void {
  const width = n.mean.length;
  for (let j = 0; j < width; j++) {
    const z = ((src[offset + j] as number) - (n.mean[j] as number)) / (n.std[j] as number);
    out[outOffset + j] = z > n.clip ? n.clip : z < -n.clip ? -n.clip : Number.isFinite(z) ? z : 0;
  }
}
