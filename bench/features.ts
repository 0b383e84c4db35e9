/**
 * `npm run bench -- features`: the real trade files of ../shared/data/trades, looped (times shifted
 * forward each loop) to at least 5 million events, through the full feature pipeline (dedupe, every
 * window, volatility, high/low lines, regime, snapshots each second of event time, volume filter,
 * ranking), and through a plain loop that applies the same per-market arithmetic (MarketState) with no
 * RxJS, in the same run. RSS with 250 markets and every window full is measured in a child process.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';
import { parseConfig } from '../src/config.js';
import type { MarketEvent } from '../src/core/index.js';
import { marketPipeline } from '../src/engine/market-pipeline.js';
import { readAll } from '../src/market-data/index.js';
import { MarketState } from '../streams/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const TARGET_EVENTS = 5_000_000;
const EVERY_MS = 1000;

export interface Tape {
  readonly market: Int32Array;
  readonly ts: Float64Array;
  readonly price: Float64Array;
  readonly amount: Float64Array;
  readonly names: readonly string[];
  readonly span: number;
}

export async function loadTape(): Promise<Tape> {
  const { events } = await readAll([join(here, '../../shared/data/trades')]);
  const trades = events.filter((e) => e.kind === 'trade');
  const names = [...new Set(trades.map((e) => e.market))].sort();
  const n = trades.length;
  const tape = { market: new Int32Array(n), ts: new Float64Array(n), price: new Float64Array(n), amount: new Float64Array(n) };
  trades.forEach((e, i) => {
    if (e.kind !== 'trade') return;
    tape.market[i] = names.indexOf(e.market);
    tape.ts[i] = e.ts;
    tape.price[i] = e.price;
    tape.amount[i] = e.amount;
  });
  return { ...tape, names, span: (tape.ts[n - 1] as number) - (tape.ts[0] as number) + EVERY_MS };
}

/** The tape's i-th event of loop `loop`; the files cover different years, so each loop shifts by the whole span. */
export function eventAt(tape: Tape, loop: number, i: number): MarketEvent {
  return { kind: 'trade', market: tape.names[tape.market[i] as number] as string, ts: (tape.ts[i] as number) + loop * tape.span, price: tape.price[i] as number, amount: tape.amount[i] as number };
}

function loops(tape: Tape): number {
  return Math.ceil(TARGET_EVENTS / tape.ts.length);
}

function runPipeline(tape: Tape): { events: number; seconds: number; snapshots: number } {
  const config = parseConfig({});
  const events$ = new Subject<MarketEvent>();
  const pipeline = marketPipeline(events$, config, { everyMs: EVERY_MS });
  let snapshots = 0;
  pipeline.batches$.subscribe((b) => (snapshots += b.snapshots.length));
  pipeline.ranking$.subscribe();
  const n = tape.ts.length;
  const L = loops(tape);
  const t0 = performance.now();
  for (let loop = 0; loop < L; loop++) for (let i = 0; i < n; i++) events$.next(eventAt(tape, loop, i));
  events$.complete();
  return { events: L * n, seconds: (performance.now() - t0) / 1000, snapshots };
}

/** The same arithmetic in a plain loop: MarketState per market, a snapshot of each at every boundary. */
function runPlainLoop(tape: Tape): { events: number; seconds: number; snapshots: number } {
  const states = new Map<string, MarketState>();
  const n = tape.ts.length;
  const L = loops(tape);
  let boundary = -Infinity;
  let snapshots = 0;
  const t0 = performance.now();
  for (let loop = 0; loop < L; loop++) {
    for (let i = 0; i < n; i++) {
      const event = eventAt(tape, loop, i);
      if (event.ts > boundary) {
        if (boundary > -Infinity) for (const s of states.values()) s.snapshot(boundary), snapshots++;
        boundary = Math.ceil(event.ts / EVERY_MS) * EVERY_MS;
      }
      let state = states.get(event.market);
      if (!state) states.set(event.market, (state = new MarketState(event.market)));
      state.apply(event);
    }
  }
  return { events: L * n, seconds: (performance.now() - t0) / 1000, snapshots };
}

export async function run(): Promise<Record<string, unknown>> {
  const tape = await loadTape();
  // A first pass of each warms the JIT; the figures come from the second.
  runPlainLoop(tape);
  runPipeline(tape);
  const baseline = runPlainLoop(tape);
  const pipeline = runPipeline(tape);
  const child = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, '_features-rss.ts')], { encoding: 'utf8' });
  const rss250 = JSON.parse(child) as { rss_mb: number };
  const eventsPerS = pipeline.events / pipeline.seconds;
  const baselinePerS = baseline.events / baseline.seconds;
  return {
    events: pipeline.events,
    events_per_s: Math.round(eventsPerS),
    baseline_events_per_s: Math.round(baselinePerS),
    slowdown_vs_baseline: Number((baselinePerS / eventsPerS).toFixed(2)),
    snapshots: pipeline.snapshots,
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    rss_mb_250_markets: Math.round(rss250.rss_mb),
  };
}
