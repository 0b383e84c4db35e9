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

/**
 * The kernel's clock: what it reads the time from and schedules its retries on. Shaped like XState's
 * clock (`createActor(machine, { clock })`), so the same clock can drive the machines' delays.
 */
export interface TimerClock extends Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  /** Time reached `ts` (the kernel says so at every market event): event time runs its due timers; the wall clock moves by itself. */
  advanceTo(ts: number): void;
}

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * Event time for replays (backtest, demo, the RL environment): it moves only with `advanceTo` (never back),
 * which runs every timer due by then in time order (ties in the order they were set). No wall clock is read.
 */
export class EventClock implements TimerClock {
  #now: number;
  #nextId = 1;
  /** Sorted by due time, then id; usually empty or tiny (look-up retries), so a sorted array does. */
  readonly #timers: Timer[] = [];
  /** Due time of the first timer (Infinity: none): `advanceTo` compares one number on the hot path. */
  #nextAt = Infinity;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const timer: Timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    let i = this.#timers.length;
    while (i > 0 && (this.#timers[i - 1] as Timer).at > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    this.#nextAt = (this.#timers[0] as Timer).at;
    return timer.id;
  }

  clearTimeout(id: unknown): void {
    const i = this.#timers.findIndex((t) => t.id === id);
    if (i < 0) return;
    this.#timers.splice(i, 1);
    this.#nextAt = this.#timers.length > 0 ? (this.#timers[0] as Timer).at : Infinity;
  }

  advanceTo(ts: number): void {
    if (ts >= this.#nextAt) this.#fire(ts);
    if (ts > this.#now) this.#now = ts;
  }

  #fire(ts: number): void {
    while (this.#timers.length > 0 && (this.#timers[0] as Timer).at <= ts) {
      const timer = this.#timers.shift() as Timer;
      this.#nextAt = this.#timers.length > 0 ? (this.#timers[0] as Timer).at : Infinity;
      if (timer.at > this.#now) this.#now = timer.at;
      timer.fn();
    }
  }
}

/** The wall clock with real timers (paper and live); its timers never keep the process alive. */
export const wallTimerClock: TimerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
  advanceTo: () => {},
};
