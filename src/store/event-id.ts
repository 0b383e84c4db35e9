/**
 * Event-log ids in Redis stream form `ms-seq`, made by the store (not by Redis) so that an entry keeps
 * its id when it has to be written again after Redis lost it: the log can then be resynced without
 * duplicates. Ids are strictly increasing even when the wall clock steps back.
 */

export interface EventId {
  readonly ms: number;
  readonly seq: number;
}

export function parseEventId(id: string): EventId {
  const dash = id.indexOf('-');
  if (dash < 0) return { ms: Number(id), seq: 0 };
  return { ms: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)) };
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareEventIds(a: string, b: string): number {
  const x = parseEventId(a);
  const y = parseEventId(b);
  return x.ms !== y.ms ? x.ms - y.ms : x.seq - y.seq;
}

export class EventIdGenerator {
  #ms = 0;
  #seq = -1;

  constructor(private readonly now: () => number = Date.now) {}

  /** The next id: the current ms, or the last id's ms with the next sequence number when time did not advance. */
  next(): string {
    const now = this.now();
    if (now > this.#ms) {
      this.#ms = now;
      this.#seq = 0;
    } else {
      this.#seq++;
    }
    return `${this.#ms}-${this.#seq}`;
  }

  /** Every later id is greater than `id` (e.g. the last id already in Redis). */
  raiseFloor(id: string): void {
    const { ms, seq } = parseEventId(id);
    if (ms > this.#ms || (ms === this.#ms && seq > this.#seq)) {
      this.#ms = ms;
      this.#seq = seq;
    }
  }
}
