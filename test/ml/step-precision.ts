/** Precision@k of the top-k scores in each time step of `coins` consecutive rows (the specs' own brute force, not src/ml/metrics). */
export function precisionAt(k: number, scores: ArrayLike<number>, y: Float32Array, coins: number): number {
  let hit = 0;
  const steps = y.length / coins;
  for (let s = 0; s < steps; s++) {
    const rows = Array.from({ length: coins }, (_, c) => s * coins + c).sort((a, b) => (scores[b] as number) - (scores[a] as number));
    for (const i of rows.slice(0, k)) hit += y[i] as number;
  }
  return hit / (steps * k);
}
