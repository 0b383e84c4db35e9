import { objectArray } from '../../core/object-array.js';

/**
 * A min-heap of scheduled items ordered by (time, insertion sequence): items due at the same event
 * time run in the order they were scheduled, which keeps the simulated exchange deterministic.
 */
export class ActionQueue<T> {
  readonly #heap = objectArray<{ ts: number; seq: number; item: T }>();
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** The scheduled items with their order keys, and the next sequence number: enough to rebuild the queue. */
  dump<U>(encode: (item: T) => U): { readonly next: number; readonly entries: { ts: number; seq: number; item: U }[] } {
    return { next: this.#seq, entries: this.#heap.map((e) => ({ ts: e.ts, seq: e.seq, item: encode(e.item) })) };
  }

  /** Rebuilds a queue from `dump`: the same items pop in the same order. */
  static load<T, U>(dump: { readonly next: number; readonly entries: readonly { ts: number; seq: number; item: U }[] }, decode: (item: U) => T): ActionQueue<T> {
    const queue = new ActionQueue<T>();
    // A heap array dumped in heap order is still a valid heap.
    for (const e of dump.entries) queue.#heap.push({ ts: e.ts, seq: e.seq, item: decode(e.item) });
    queue.#seq = dump.next;
    return queue;
  }

  push(ts: number, item: T): void {
    const heap = this.#heap;
    heap.push({ ts, seq: this.#seq++, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Time of the next item, or undefined when empty. */
  peekTs(): number | undefined {
    return this.#heap[0]?.ts;
  }

  pop(): { ts: number; item: T } | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (!top) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.#less(l, m)) m = l;
        if (r < heap.length && this.#less(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return { ts: top.ts, item: top.item };
  }

  #less(a: number, b: number): boolean {
    const x = this.#heap[a]!;
    const y = this.#heap[b]!;
    return x.ts < y.ts || (x.ts === y.ts && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const t = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = t;
  }
}
