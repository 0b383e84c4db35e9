/** Time source. Backtests advance it from event times; live uses the wall clock. */
export interface Clock {
  now(): number;
}

/** A clock that only moves when told to: event time in replays. Never goes backwards. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = 0) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advanceTo(ts: number): void {
    if (ts > this.#now) this.#now = ts;
  }
}

export const wallClock: Clock = { now: () => Date.now() };
