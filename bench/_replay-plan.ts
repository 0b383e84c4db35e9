/**
 * The latency bench's replay schedule, shared by the replay server (`_upbit-replay.ts`) and the in-process
 * harnesses (`_latency-batches.ts`, `_latency-batches-ab.ts`): `markets` KRW markets each replaying the
 * recorded KRW-LAMB frames of ../shared/data (trades and 15-level books, 30 s) shifted by its own offset,
 * `loops` times over. `at` is ms of recorded time from the start; the plan is in that order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RecordedFrame {
  readonly at: number;
  readonly msg: Record<string, unknown>;
}

export interface ReplayPlan {
  readonly recorded: readonly RecordedFrame[];
  /** The markets' Upbit codes, `KRW-L000`… */
  readonly codes: readonly string[];
  readonly plan: readonly { readonly at: number; readonly market: number; readonly frame: number; readonly loop: number }[];
}

/** `benchDir`: the bench folder (../shared sits beside the checkout). */
export function replayPlan(benchDir: string, markets: number, loops: number): ReplayPlan {
  const recorded: RecordedFrame[] = readFileSync(join(benchDir, '../../shared/data/ws/upbit-2021-04/UPBIT.ws.62.0.messages.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { recv_ts: number; msg: Record<string, unknown> })
    .filter((r) => r.msg['cd'] === 'KRW-LAMB')
    .map((r) => ({ at: r.recv_ts * 1000, msg: r.msg }));
  const t0 = (recorded[0] as RecordedFrame).at;
  const span = (recorded.at(-1) as RecordedFrame).at - t0 + 100;
  const codes = Array.from({ length: markets }, (_, i) => `KRW-L${String(i).padStart(3, '0')}`);
  const plan: { at: number; market: number; frame: number; loop: number }[] = [];
  for (let loop = 0; loop < loops; loop++) {
    for (let m = 0; m < markets; m++) {
      const offset = (m * span) / markets;
      recorded.forEach((r, f) => plan.push({ at: loop * span + ((r.at - t0 + offset) % span), market: m, frame: f, loop }));
    }
  }
  plan.sort((a, b) => a.at - b.at);
  return { recorded, codes, plan };
}

/**
 * The frame of each plan entry in turn, at exchange time `tsStart + at`: the market's code and, for a trade,
 * its time and Upbit's sequential id (the trade's second in ms × 1000 + its count within that second).
 */
export function replayFrames(replay: ReplayPlan, tsStart: number): (entry: ReplayPlan['plan'][number]) => Record<string, unknown> {
  const seconds = replay.codes.map(() => ({ second: 0, k: 0 }));
  return (entry) => {
    const ts = Math.round(tsStart + entry.at);
    const frame: Record<string, unknown> = { ...(replay.recorded[entry.frame] as RecordedFrame).msg, cd: replay.codes[entry.market], tms: ts };
    if (frame['ty'] === 'trade') {
      const second = Math.floor(ts / 1000) * 1000;
      const last = seconds[entry.market] as { second: number; k: number };
      if (last.second !== second) (last.second = second), (last.k = 0);
      frame['ttms'] = ts;
      frame['sid'] = second * 1000 + last.k++;
    }
    return frame;
  };
}

/** The paper profile the latency bench trades (`--set` entries): a batch every second, positions opened and cancelled every batch. */
export const LATENCY_PROFILE = ['features.every=1s', 'filter.minValue1d=0', 'filter.minTrades1d=0', 'strategy.skipBearMarket=false', 'strategy.takeProfit=0.005', 'strategy.stopLoss=0.005', 'allocation.maxPositions=20'];
