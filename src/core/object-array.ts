/**
 * An empty array whose elements are already of V8's generic kind (any value), as a filled array of strings
 * or objects is. An empty array literal holds small integers until its first other element: every
 * backtest after the first in a process (the bench's runs, an optimisation's trials) then began with
 * per-run arrays of a kind the code compiled in the run before had not seen, which threw that code away
 * (deoptimised it) at its first look-up, to be compiled again.
 */
export function objectArray<T>(): T[] {
  const out: unknown[] = [undefined];
  out.length = 0;
  return out as T[];
}
