import type { MarketRules, MarketSymbol } from '../../core/index.js';

export interface MarketRulesRefreshOptions {
  /** Reads every market's rules from the exchange (`CcxtExchange.markets`). */
  readonly read: () => Promise<readonly MarketRules[]>;
  /** The rules read at the start; kept current in place from then on. */
  readonly initial: Iterable<MarketRules>;
  /** Re-read this often (default 5 minutes, as the market feed re-reads its markets); 0: never. */
  readonly intervalMs?: number;
  /** First wait after a failed re-read (default 10 s, doubling, at most `intervalMs`). */
  readonly retryDelayMs?: number;
  /** One line per change a trader must know (a market halted or trading again, no longer listed, a failing re-read). */
  readonly log?: (line: string) => void;
}

/** What a market no longer listed by the exchange is marked: halted, its rules kept for the positions in it. */
export const NOT_LISTED = 'not listed';

/**
 * The markets' rules of a live session, re-read from the exchange in the background. The halted mark
 * (Binance `BREAK` / `HALT`) was read at the start only: a market halted mid-run kept receiving entries
 * (each refused, and cooling down its market), and one trading again got none until a restart. Now a
 * re-read every `intervalMs` takes the exchange's word for each market. Never in the order path: the
 * map is replaced market by market, synchronously, when a read answers; a failed read keeps every rule
 * as it was and is retried with backoff. A market's rules are never dropped (a position may be held
 * there and must stay priced and exitable): one the exchange stops listing keeps its last rules,
 * marked halted (`not listed`), so no new position opens there.
 */
export class MarketRulesRefresh {
  readonly #rules = new Map<MarketSymbol, MarketRules>();
  readonly #options: MarketRulesRefreshOptions;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #failures = 0;
  /** Re-reads that answered, and that failed. */
  reads = 0;
  readFailures = 0;

  constructor(options: MarketRulesRefreshOptions) {
    this.#options = options;
    for (const r of options.initial) this.#rules.set(r.market, r);
  }

  /** The rules as last read (a live view: it changes as re-reads answer). */
  get rules(): ReadonlyMap<MarketSymbol, MarketRules> {
    return this.#rules;
  }

  start(): void {
    if (this.#running || this.#intervalMs <= 0) return;
    this.#running = true;
    this.#schedule(this.#intervalMs);
  }

  close(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  get #intervalMs(): number {
    return this.#options.intervalMs ?? 300_000;
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh().then(
        () => this.#schedule(this.#intervalMs),
        () => this.#schedule(Math.min(this.#intervalMs, (this.#options.retryDelayMs ?? 10_000) * 2 ** Math.min(this.#failures - 1, 20))),
      );
    }, delayMs);
    this.#timer.unref();
  }

  /** One re-read: applied when it answers (an empty answer is taken as a failed read: it would mark every market unlisted). */
  async refresh(): Promise<void> {
    let read: readonly MarketRules[];
    try {
      read = await this.#options.read();
      if (read.length === 0) throw new Error('the exchange listed no market');
    } catch (error) {
      this.readFailures++;
      if (++this.#failures === 1) this.#options.log?.(`market rules re-read failed (${(error as Error).message.slice(0, 200)}); the rules as last read stand, retrying with backoff`);
      throw error;
    }
    if (this.#failures > 0) this.#options.log?.(`market rules read again after ${this.#failures} failed attempt(s)`);
    this.#failures = 0;
    this.reads++;
    this.apply(read);
  }

  /** Takes a read's rules: each market's as the exchange gives them, one no longer listed kept and marked halted. */
  apply(read: readonly MarketRules[]): void {
    const listed = new Set<MarketSymbol>();
    for (const next of read) {
      listed.add(next.market);
      const before = this.#rules.get(next.market);
      this.#rules.set(next.market, next);
      if (before?.halted !== undefined && next.halted === undefined) this.#options.log?.(`market ${next.market} trades again (it was ${before.halted}): new positions may open there`);
      else if (before !== undefined && before.halted === undefined && next.halted !== undefined) this.#options.log?.(`market ${next.market} is not trading now (status ${next.halted}): no new position opens there; exits are tried until it trades again`);
    }
    for (const [market, before] of this.#rules) {
      if (listed.has(market) || before.halted !== undefined) continue;
      this.#rules.set(market, { ...before, halted: NOT_LISTED });
      this.#options.log?.(`market ${market} is no longer listed by the exchange: its rules are kept for the positions in it, no new position opens there`);
    }
  }
}
