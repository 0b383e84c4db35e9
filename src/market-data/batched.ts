/** Groups an iterable into arrays of `size` (the last one shorter): the batch shape `runBacktest` and the replay use. */
export function* batched<T>(items: Iterable<T>, size: number): Generator<T[]> {
  // An array is cut in slices (a copy of each range at once, not an iterator step and a push per item).
  if (Array.isArray(items) && size > 0) {
    const all = items as readonly T[];
    for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
    return;
  }
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
