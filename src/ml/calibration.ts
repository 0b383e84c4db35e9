/**
 * Platt scaling: P = σ(a·z + b) on a standardised score z, fitted by Newton's method on the validation
 * span. Two parameters only, because a validation span holds few independent outcomes (labels of
 * neighbouring times overlap), where isotonic regression would overfit. Works for any score — the
 * model's logit and the baselines' raw scores alike — so their Brier scores compare fairly.
 */
export interface Calibration {
  readonly a: number;
  readonly b: number;
  /** Standardisation of the raw score (fitted on the same span). */
  readonly center: number;
  readonly scale: number;
}

export function fitCalibration(scores: ArrayLike<number>, outcomes: ArrayLike<number>, l2 = 1e-3): Calibration {
  const n = scores.length;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    sum += scores[i] as number;
    sq += (scores[i] as number) ** 2;
  }
  const center = n > 0 ? sum / n : 0;
  const sd = n > 1 ? Math.sqrt(Math.max(0, sq / n - center * center)) : 0;
  const scale = sd > 1e-12 ? sd : 1;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += outcomes[i] as number;
  // Start at the base rate with no slope; a constant score then stays the base rate.
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, n > 0 ? positives / n : 0.5));
  let a = 0;
  let b = Math.log(rate / (1 - rate));
  for (let iter = 0; iter < 50; iter++) {
    let ga = l2 * a;
    let gb = 0;
    let haa = l2;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const z = ((scores[i] as number) - center) / scale;
      const p = 1 / (1 + Math.exp(-(a * z + b)));
      const d = p - (outcomes[i] as number);
      const w = p * (1 - p);
      ga += d * z;
      gb += d;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-18)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return { a, b, center, scale };
}

export function calibrate(c: Calibration, score: number): number {
  const z = (score - c.center) / c.scale;
  const p = 1 / (1 + Math.exp(-(c.a * z + c.b)));
  return Number.isFinite(p) ? p : c.a * z + c.b > 0 ? 1 : 0;
}

/** Logit of a probability, clamped so 0 and 1 stay finite. */
export function logit(p: number): number {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
}
