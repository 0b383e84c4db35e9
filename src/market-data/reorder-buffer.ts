import type { MarketEvent } from '../core/index.js';

/**
 * Bounded re-sorting of one file's events: an event is held until an event `windowMs` later has been
 * seen, then released in (ts, file order). Events later than the window stay where the file put them
 * (counted by the replay as out of order). Memory is the events inside one window.
 */
export class ReorderBuffer {
  readonly #heap: MarketEvent[] = [];
  readonly #seq: number[] = [];
  #next = 0;
  #maxTs = -Infinity;

  constructor(private readonly windowMs: number) {}

  push(event: MarketEvent, out: MarketEvent[]): void {
    this.#insert(event);
    if (event.ts > this.#maxTs) this.#maxTs = event.ts;
    const release = this.#maxTs - this.windowMs;
    while (this.#heap.length > 0 && (this.#heap[0] as MarketEvent).ts <= release) out.push(this.#pop());
  }

  flush(out: MarketEvent[]): void {
    while (this.#heap.length > 0) out.push(this.#pop());
  }

  #less(i: number, j: number): boolean {
    const a = (this.#heap[i] as MarketEvent).ts;
    const b = (this.#heap[j] as MarketEvent).ts;
    return a < b || (a === b && (this.#seq[i] as number) < (this.#seq[j] as number));
  }

  #swap(i: number, j: number): void {
    const h = this.#heap;
    const s = this.#seq;
    [h[i], h[j]] = [h[j] as MarketEvent, h[i] as MarketEvent];
    [s[i], s[j]] = [s[j] as number, s[i] as number];
  }

  #insert(event: MarketEvent): void {
    this.#heap.push(event);
    this.#seq.push(this.#next++);
    let i = this.#heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #pop(): MarketEvent {
    const top = this.#heap[0] as MarketEvent;
    const lastEvent = this.#heap.pop() as MarketEvent;
    const lastSeq = this.#seq.pop() as number;
    if (this.#heap.length > 0) {
      this.#heap[0] = lastEvent;
      this.#seq[0] = lastSeq;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.#heap.length && this.#less(l, m)) m = l;
        if (r < this.#heap.length && this.#less(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
