/** An async iterator whose first `next()` is already under way; `return()` stops the read it started. */
export interface ReadAhead<T> extends AsyncIterableIterator<T> {
  return(): Promise<IteratorResult<T, undefined>>;
}

/**
 * Starts `source` now: its first `next()` is asked for at once and handed to the first caller of `next`.
 * A read begun before slow work (a command loading the rest of itself and its configuration) overlaps
 * it: a replay's reader thread starts, opens and parses while the engine's modules load. A first read
 * that fails is reported to whoever asks for it, never as an unhandled rejection; one nobody asks for is
 * stopped by `return()`, which the caller owes once it is done, whatever happened.
 */
export function readAhead<T>(source: AsyncIterable<T>): ReadAhead<T> {
  const iterator = source[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<T>> | undefined = iterator.next();
  first.catch(() => undefined);
  const ahead: ReadAhead<T> = {
    next(): Promise<IteratorResult<T>> {
      const started = first;
      first = undefined;
      return started ?? iterator.next();
    },
    async return(): Promise<IteratorResult<T, undefined>> {
      first = undefined;
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => ahead,
  };
  return ahead;
}
