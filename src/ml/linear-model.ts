/**
 * Regularised linear rankers fitted in plain TypeScript by Newton's method (a few dozen inputs: the
 * Hessian is tiny, the fit is exact and deterministic — no learning rate, no shuffle, the same rows give
 * the same bits). Two objectives on the same inputs:
 *
 * - `pointwise`: L2-penalised logistic regression of "target first" (the MLP's loss, without the trunk);
 * - `listwise`: the coins of one snapshot time compete in a softmax and the targets are the coins that
 *   reached their target then — the loss of the within-time-step ranking precision@k scores, which
 *   ignores how many coins reach their target at that time (the base rate, which drifts between folds).
 *   Its score has no intercept; the Platt calibration on validation turns it into a probability.
 */

export type LinearObjective = 'pointwise' | 'listwise';

export interface LinearFit {
  /** Input weights (`features` of them) and the intercept (0 for the listwise objective). */
  readonly w: Float64Array;
  readonly b: number;
  /** Mean training loss at the optimum (penalty excluded). */
  readonly loss: number;
  readonly iterations: number;
}

export interface LinearFitOptions {
  readonly objective: LinearObjective;
  /** Penalty λ/2·|w|² per row (pointwise) or per time step (listwise); the intercept is not penalised. */
  readonly l2: number;
  /** Time step of each row (rows of one step are contiguous); needed by the listwise objective. */
  readonly groups?: ArrayLike<number>;
  readonly maxIterations?: number;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Pointwise: y ∈ [0, 1] (soft targets allowed: the time head uses the same fit). */
export function fitLinear(x: ArrayLike<number>, y: ArrayLike<number>, features: number, options: LinearFitOptions): LinearFit {
  const n = y.length;
  if (x.length !== n * features) throw new Error(`fitLinear: ${x.length} inputs for ${n} rows of ${features}`);
  const listwise = options.objective === 'listwise';
  if (listwise && options.groups?.length !== n) throw new Error('fitLinear: the listwise objective needs the time step of every row');
  // Listwise has no intercept (a constant cancels in the softmax); pointwise carries it as the last parameter.
  const dim = listwise ? features : features + 1;
  const theta = new Float64Array(dim);
  const maxIterations = options.maxIterations ?? 50;
  const evaluate = listwise ? (t: Float64Array, withDerivatives: boolean) => listwiseTerms(x, y, options.groups as ArrayLike<number>, features, t, withDerivatives) : (t: Float64Array, withDerivatives: boolean) => pointwiseTerms(x, y, features, t, withDerivatives);
  const penalty = (t: Float64Array): number => {
    let s = 0;
    for (let j = 0; j < features; j++) s += (t[j] as number) ** 2;
    return 0.5 * options.l2 * s;
  };
  let current = evaluate(theta, true);
  let objective = current.loss + penalty(theta);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const g = current.grad as Float64Array;
    const h = current.hess as Float64Array;
    for (let j = 0; j < features; j++) {
      g[j] = (g[j] as number) + options.l2 * (theta[j] as number);
      h[j * dim + j] = (h[j * dim + j] as number) + options.l2;
    }
    // A tiny ridge on the whole diagonal keeps the solve defined when an input is constant (a flag that is always 0).
    for (let j = 0; j < dim; j++) h[j * dim + j] = (h[j * dim + j] as number) + 1e-9;
    const step = solveSpd(h, g, dim);
    // Newton step with halving: the penalised losses are convex, so a full step almost always lowers them.
    let scale = 1;
    let next = theta;
    let nextTerms = current;
    let nextObjective = objective;
    for (let halvings = 0; halvings < 30; halvings++) {
      const candidate = Float64Array.from(theta, (v, j) => v - scale * (step[j] as number));
      const terms = evaluate(candidate, false);
      const value = terms.loss + penalty(candidate);
      if (value <= objective) {
        next = candidate;
        nextObjective = value;
        nextTerms = terms;
        break;
      }
      scale /= 2;
    }
    if (next === theta) break;
    let moved = 0;
    for (let j = 0; j < dim; j++) moved = Math.max(moved, Math.abs((next[j] as number) - (theta[j] as number)));
    theta.set(next);
    const converged = moved < 1e-7 || objective - nextObjective < 1e-12;
    objective = nextObjective;
    current = converged ? nextTerms : evaluate(theta, true);
    if (converged) {
      iterations++;
      break;
    }
  }
  return { w: theta.slice(0, features), b: listwise ? 0 : (theta[features] as number), loss: current.loss, iterations };
}

/** Raw scores w·x + b of `rows` rows. */
export function linearScores(fit: Pick<LinearFit, 'w' | 'b'>, x: ArrayLike<number>, features: number): Float64Array {
  const n = x.length / features;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = fit.b;
    for (let j = 0; j < features; j++) z += (fit.w[j] as number) * (x[i * features + j] as number);
    out[i] = z;
  }
  return out;
}

/** Mean loss of `fit` on other rows, in its objective (the model-selection criterion of the penalty). */
export function linearLoss(fit: Pick<LinearFit, 'w' | 'b'>, x: ArrayLike<number>, y: ArrayLike<number>, features: number, objective: LinearObjective, groups?: ArrayLike<number>): number {
  const theta = Float64Array.from({ length: objective === 'listwise' ? features : features + 1 }, (_, j) => (j < features ? (fit.w[j] as number) : fit.b));
  return objective === 'listwise' ? listwiseTerms(x, y, groups as ArrayLike<number>, features, theta, false).loss : pointwiseTerms(x, y, features, theta, false).loss;
}

interface Terms {
  readonly loss: number;
  readonly grad?: Float64Array;
  readonly hess?: Float64Array;
}

function pointwiseTerms(x: ArrayLike<number>, y: ArrayLike<number>, f: number, theta: Float64Array, withDerivatives: boolean): Terms {
  const n = y.length;
  const dim = f + 1;
  const grad = withDerivatives ? new Float64Array(dim) : undefined;
  const hess = withDerivatives ? new Float64Array(dim * dim) : undefined;
  const row = new Float64Array(dim);
  row[f] = 1;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let z = theta[f] as number;
    for (let j = 0; j < f; j++) {
      const v = x[i * f + j] as number;
      row[j] = v;
      z += (theta[j] as number) * v;
    }
    const t = y[i] as number;
    // log(1 + e^z) − t·z, stable for large |z|.
    loss += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - t * z;
    if (grad && hess) {
      const p = sigmoid(z);
      const r = p - t;
      const wgt = p * (1 - p);
      for (let a = 0; a < dim; a++) {
        const ra = row[a] as number;
        grad[a] = (grad[a] as number) + r * ra;
        const wa = wgt * ra;
        for (let b = a; b < dim; b++) hess[a * dim + b] = (hess[a * dim + b] as number) + wa * (row[b] as number);
      }
    }
  }
  return finish(loss, n, dim, grad, hess);
}

function listwiseTerms(x: ArrayLike<number>, y: ArrayLike<number>, groups: ArrayLike<number>, f: number, theta: Float64Array, withDerivatives: boolean): Terms {
  const n = y.length;
  const grad = withDerivatives ? new Float64Array(f) : undefined;
  const hess = withDerivatives ? new Float64Array(f * f) : undefined;
  const mean = new Float64Array(f);
  let loss = 0;
  let used = 0;
  const s: number[] = [];
  for (let i = 0; i < n; ) {
    let j = i;
    let positives = 0;
    while (j < n && groups[j] === groups[i]) positives += y[j++] as number;
    // A step where every coin or none reached its target says nothing about which coins to pick.
    if (positives > 0 && positives < j - i) {
      used++;
      s.length = 0;
      let top = -Infinity;
      for (let r = i; r < j; r++) {
        let z = 0;
        for (let c = 0; c < f; c++) z += (theta[c] as number) * (x[r * f + c] as number);
        s.push(z);
        top = Math.max(top, z);
      }
      let sum = 0;
      for (const z of s) sum += Math.exp(z - top);
      const logSum = top + Math.log(sum);
      for (let r = i; r < j; r++) loss -= ((y[r] as number) / positives) * ((s[r - i] as number) - logSum);
      if (grad && hess) {
        mean.fill(0);
        for (let r = i; r < j; r++) {
          const p = Math.exp((s[r - i] as number) - logSum);
          const d = p - (y[r] as number) / positives;
          for (let a = 0; a < f; a++) {
            const xa = x[r * f + a] as number;
            grad[a] = (grad[a] as number) + d * xa;
            mean[a] = (mean[a] as number) + p * xa;
            const pa = p * xa;
            for (let b = a; b < f; b++) hess[a * f + b] = (hess[a * f + b] as number) + pa * (x[r * f + b] as number);
          }
        }
        // Σ p·x xᵀ − (Σ p·x)(Σ p·x)ᵀ: the covariance of the inputs under the softmax.
        for (let a = 0; a < f; a++) for (let b = a; b < f; b++) hess[a * f + b] = (hess[a * f + b] as number) - (mean[a] as number) * (mean[b] as number);
      }
    }
    i = j;
  }
  return finish(loss, Math.max(1, used), f, grad, hess);
}

function finish(loss: number, count: number, dim: number, grad: Float64Array | undefined, hess: Float64Array | undefined): Terms {
  if (!grad || !hess) return { loss: loss / count };
  for (let a = 0; a < dim; a++) {
    grad[a] = (grad[a] as number) / count;
    for (let b = a; b < dim; b++) {
      const v = (hess[a * dim + b] as number) / count;
      hess[a * dim + b] = v;
      hess[b * dim + a] = v;
    }
  }
  return { loss: loss / count, grad, hess };
}

/** Solves H·s = g for a symmetric positive definite H (Cholesky). */
function solveSpd(h: Float64Array, g: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = h[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] as number) * (l[j * n + k] as number);
      if (i === j) l[i * n + i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i * n + j] = sum / (l[j * n + j] as number);
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = g[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * n + k] as number) * (z[k] as number);
    z[i] = sum / (l[i * n + i] as number);
  }
  const s = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = z[i] as number;
    for (let k = i + 1; k < n; k++) sum -= (l[k * n + i] as number) * (s[k] as number);
    s[i] = sum / (l[i * n + i] as number);
  }
  return s;
}
