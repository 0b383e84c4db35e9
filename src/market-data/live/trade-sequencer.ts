/**
 * De-duplication and gap detection of one exchange's trades by Upbit `sequential_id`.
 *
 * Upbit builds `sequential_id` as `trade second (epoch ms, a multiple of 1000) × 1000 + k`, where `k`
 * counts the market's trades within that second from 0 (verified on the recorded capture in
 * `data/ws/upbit-2021-04`). Frames of one second arrive in order, but a second's tail can arrive after
 * the next second has begun. So, per market and per second, the next expected `k` is tracked:
 *
 * - an id seen before is a duplicate (reconnect snapshots, resent frames);
 * - `k` above the expected one means `k - expected` trades were missed (a gap);
 * - `k` below it that was not seen is a late trade filling an earlier gap.
 *
 * The first trade of a market sets the baseline (nothing before it is expected). Memory is bounded:
 * `window` recent ids per market, and seconds older than `maxSeconds` behind the newest are dropped.
 */
export type TradeVerdict = 'new' | 'duplicate';

interface MarketSeq {
  readonly seen: Set<number>;
  readonly order: number[];
  head: number;
  /** second → next expected k */
  readonly next: Map<number, number>;
  /** second → ks counted missing and not arrived yet */
  readonly missing: Map<number, Set<number>>;
  newestSecond: number;
  maxId: number;
}

export interface TradeSequencerStats {
  duplicates: number;
  /** Trade ids found missing (a later id of the same second arrived first). */
  gaps: number;
  /** Missing ids that arrived after all. */
  late: number;
}

const K_SPAN = 1_000_000;

export class TradeSequencer {
  readonly stats: TradeSequencerStats = { duplicates: 0, gaps: 0, late: 0 };
  readonly #markets = new Map<string, MarketSeq>();

  constructor(
    private readonly window = 4096,
    private readonly maxSeconds = 60,
  ) {}

  /** Highest id seen for a market, or undefined before its first trade. */
  maxId(market: string): number | undefined {
    return this.#markets.get(market)?.maxId;
  }

  /** Records a trade id and says whether it is new. Ids that are not safe integers are always new. */
  observe(market: string, id: number | undefined): TradeVerdict {
    if (id === undefined || !Number.isSafeInteger(id) || id < 0) return 'new';
    let s = this.#markets.get(market);
    const second = Math.floor(id / K_SPAN);
    const k = id - second * K_SPAN;
    if (s === undefined) {
      s = { seen: new Set(), order: new Array<number>(this.window), head: 0, next: new Map(), missing: new Map(), newestSecond: second, maxId: id };
      this.#markets.set(market, s);
      this.#remember(s, id);
      s.next.set(second, k + 1);
      return 'new';
    }
    if (s.seen.has(id)) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    this.#remember(s, id);
    if (id > s.maxId) s.maxId = id;
    if (second < s.newestSecond - this.maxSeconds) return 'new';
    const expected = s.next.get(second);
    if (expected === undefined) {
      // A new second: its trades count from 0. An older second never tracked is a straggler.
      if (second > s.newestSecond && k > 0) this.#miss(s, second, 0, k);
      s.next.set(second, k + 1);
    } else if (k > expected) {
      this.#miss(s, second, expected, k);
      s.next.set(second, k + 1);
    } else if (k === expected) s.next.set(second, k + 1);
    else {
      const missing = s.missing.get(second);
      if (missing?.delete(k)) this.stats.late++;
    }
    if (second > s.newestSecond) {
      s.newestSecond = second;
      const horizon = second - this.maxSeconds;
      for (const old of s.next.keys()) if (old < horizon) s.next.delete(old);
      for (const old of s.missing.keys()) if (old < horizon) s.missing.delete(old);
    }
    return 'new';
  }

  /** Trade ids of a market counted missing that have not arrived (what a REST backfill looks for). */
  missingIds(market: string): number[] {
    const s = this.#markets.get(market);
    if (!s) return [];
    const ids: number[] = [];
    for (const [second, ks] of s.missing) for (const k of ks) ids.push(second * K_SPAN + k);
    return ids.sort((a, b) => a - b);
  }

  /** Forgets a market (delisted). */
  forget(market: string): void {
    this.#markets.delete(market);
  }

  #miss(s: MarketSeq, second: number, from: number, to: number): void {
    this.stats.gaps += to - from;
    let set = s.missing.get(second);
    if (!set) {
      set = new Set();
      s.missing.set(second, set);
    }
    // bounded: a pathological jump only records the count
    if (to - from <= 1000) for (let i = from; i < to; i++) set.add(i);
  }

  #remember(s: MarketSeq, id: number): void {
    const evicted = s.order[s.head];
    if (evicted !== undefined) s.seen.delete(evicted);
    s.order[s.head] = id;
    s.head = (s.head + 1) % this.window;
    s.seen.add(id);
  }
}
