import { Random } from '../../core/random.js';
import type { MarketTape } from './market-tape.js';

/** A span of recorded data and the markets the agent trades in it. */
export interface Episode {
  /** First decision batch. */
  readonly start: number;
  /** Last decision batch (inclusive): after its decisions the run finishes like the engine at the end of data. */
  readonly end: number;
  /** Market indices of the tape, ascending. */
  readonly markets: readonly number[];
  readonly seed: number;
}

/** Batches of warm-up the features need before a decision makes sense (one day of 5m batches). */
export const MIN_WARMUP_BATCHES = 288;

/**
 * Seeded episodes inside the batch range [from, to): a random start, `length` batches, `count` markets
 * drawn from those present at the start. The same seed always gives the same episodes, which is what
 * pairs best_player and current_player on validation.
 */
export function sampleEpisodes(tape: MarketTape, from: number, to: number, length: number, marketsPerEpisode: number, count: number, seed: number): Episode[] {
  const random = new Random(seed);
  const lo = Math.max(from, MIN_WARMUP_BATCHES);
  const hi = to - length;
  if (hi <= lo) throw new Error(`episodes of ${length} batches do not fit in batches [${lo}, ${to})`);
  const M = tape.markets.length;
  const episodes: Episode[] = [];
  for (let i = 0; i < count; i++) {
    const start = lo + random.int(hi - lo);
    const live: number[] = [];
    for (let m = 0; m < M; m++) if (tape.present[start * M + m] === 1) live.push(m);
    for (let j = live.length - 1; j > 0; j--) {
      const r = random.int(j + 1);
      [live[j], live[r]] = [live[r] as number, live[j] as number];
    }
    const markets = (marketsPerEpisode > 0 ? live.slice(0, marketsPerEpisode) : live).sort((a, b) => a - b);
    episodes.push({ start, end: start + length - 1, markets, seed: seed * 1000 + i });
  }
  return episodes;
}

/**
 * Validation episodes that do not overlap: the batch range [from, to) is tiled with episodes of `length`
 * batches from a seeded offset, at most `count` of them, each with its own seeded draw of markets. Drawn
 * afresh for every seed (every generation), so no promotion decision reuses the episodes of another, and
 * no two episodes of one decision share a batch (their returns are closer to independent, the paired
 * test's p-value less optimistic than with overlapping draws).
 */
export function tiledEpisodes(tape: MarketTape, from: number, to: number, length: number, marketsPerEpisode: number, count: number, seed: number): Episode[] {
  const random = new Random(seed);
  const lo = Math.max(from, MIN_WARMUP_BATCHES);
  const slots = Math.floor((to - lo) / length);
  if (slots < 1) throw new Error(`validation episodes of ${length} batches do not fit in batches [${lo}, ${to})`);
  const offset = random.int(to - lo - slots * length + 1);
  const starts = Array.from({ length: slots }, (_, i) => lo + offset + i * length);
  // A seeded choice of `count` slots when there are more; in time order.
  for (let j = starts.length - 1; j > 0; j--) {
    const r = random.int(j + 1);
    [starts[j], starts[r]] = [starts[r] as number, starts[j] as number];
  }
  const chosen = starts.slice(0, Math.min(count, slots)).sort((a, b) => a - b);
  const M = tape.markets.length;
  return chosen.map((start, i) => {
    const live: number[] = [];
    for (let m = 0; m < M; m++) if (tape.present[start * M + m] === 1) live.push(m);
    for (let j = live.length - 1; j > 0; j--) {
      const r = random.int(j + 1);
      [live[j], live[r]] = [live[r] as number, live[j] as number];
    }
    const markets = (marketsPerEpisode > 0 ? live.slice(0, marketsPerEpisode) : live).sort((a, b) => a - b);
    return { start, end: start + length - 1, markets, seed: seed * 1000 + i };
  });
}

/** One episode over a whole span with every market (evaluation). */
export function spanEpisode(tape: MarketTape, from: number, to: number): Episode {
  const markets = tape.markets.map((_, i) => i);
  return { start: Math.max(from, 0), end: Math.min(to, tape.batches) - 1, markets, seed: 0 };
}
