/**
 * `npm run bench -- features`: the real trade files of ../shared/data/trades, looped (times shifted
 * forward each loop) to at least 5 million events, pushed into the engine's event source, through the
 * full feature pipeline (dedupe, every window, volatility, high/low lines, regime, snapshots each second
 * of event time, volume filter, ranking), and through a plain loop that applies the same per-market
 * arithmetic (MarketState) with no RxJS, in the same run; and through the floor: a minimal hand-written
 * loop with the same windows (sums of volume, value and trades in one-minute buckets, each window's
 * running sum moved at the minute, so exact at minute boundaries), whose outputs at every 5-minute
 * boundary are checked equal to the pipeline's (`floor_checked`: how many market snapshots were
 * compared). RSS with 250 markets and every window full is measured in a child process.
 * `slowdown_vs_floor_cpu` is the pipeline against the floor in CPU time, which a busy machine disturbs less.
 *
 * The trades are in memory for all three, as the floor compared them: the floor reads the tape's
 * typed arrays, the pipeline and the plain loop get MarketEvent objects built once before timing (one
 * loop's worth, their times moved forward between loops, untimed: nothing downstream keeps an event).
 * Building an event object per event as it is pushed (the bench's method until issue 19's floor work)
 * charges the pipeline with that allocation and its garbage collection, about a third of its CPU on a busy
 * machine: `events_built_per_s` and `slowdown_vs_floor_cpu_building_events` are that run, kept to compare
 * with earlier figures.
 *
 * BENCH_PREVIOUS=<dir>, a checkout of an earlier release with its node_modules: that tree's pipeline and this
 * one's against the same floor in children, alternating (`previous_*` and `alternating_*`, three runs each).
 *
 * `candles_pipeline_events_per_cpu_s`: the same pipeline (config/backtest-candles.json: a batch at every
 * 5-minute close) on the 30-coin candles held in memory, best of three, per CPU second: the features'
 * share of a candle backtest, which the whole engine must beat for its 1 M events/s target (issue 19).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config.js';
import type { MarketEvent } from '../src/core/index.js';
import { EventFeed } from '../src/engine/event-feed.js';
import { marketPipeline } from '../src/engine/market-pipeline.js';
import { readAll } from '../src/market-data/index.js';
import { MarketState } from '../streams/index.js';
import { WINDOW_MS, WINDOWS, type FeatureSnapshot } from '../src/core/index.js';

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

/** One loop of the tape as MarketEvent objects, built once; `moveTo(loop)` shifts their times to that loop's. */
export class TapeEvents {
  readonly events: { kind: 'trade'; market: string; ts: number; price: number; amount: number }[];
  readonly #tape: Tape;

  constructor(tape: Tape) {
    this.#tape = tape;
    this.events = Array.from({ length: tape.ts.length }, (_, i) => {
      const e = eventAt(tape, 0, i);
      if (e.kind !== 'trade') throw new Error('features bench: the tape holds trades only');
      return e;
    });
  }

  moveTo(loop: number): void {
    const ts = this.#tape.ts;
    const shift = loop * this.#tape.span;
    for (let i = 0; i < this.events.length; i++) (this.events[i] as { ts: number }).ts = (ts[i] as number) + shift;
  }
}

/** A run's events, wall-clock seconds and CPU seconds (which neighbours on a busy machine disturb far less). */
interface Run {
  readonly events: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly snapshots: number;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Wall and CPU time of the timed parts of a run, added up. */
class Stopwatch {
  seconds = 0;
  cpuSeconds = 0;
  #wall = 0;
  #cpu: NodeJS.CpuUsage | undefined;

  start(): void {
    this.#wall = performance.now();
    this.#cpu = process.cpuUsage();
  }

  stop(): void {
    this.cpuSeconds += cpuSince(this.#cpu as NodeJS.CpuUsage);
    this.seconds += (performance.now() - this.#wall) / 1000;
  }
}

/** What runPipeline builds the pipeline from: this tree's modules, or an earlier release's (BENCH_PREVIOUS). */
export interface PipelineParts {
  readonly parseConfig: typeof parseConfig;
  readonly EventFeed: typeof EventFeed<MarketEvent>;
  readonly marketPipeline: typeof marketPipeline;
}
const THIS_TREE: PipelineParts = { parseConfig, EventFeed, marketPipeline };

/**
 * The full pipeline over the tape: `events` in memory (see TapeEvents), or, without it, each event built
 * as it is pushed.
 */
export function runPipeline(tape: Tape, events?: TapeEvents, keep?: FeatureSnapshot[], parts: PipelineParts = THIS_TREE): Run {
  const config = parts.parseConfig({});
  // The engine's own hot source (src/engine/event-feed.ts), not an RxJS Subject: what paper, live and
  // backtest push their events into.
  const events$ = new parts.EventFeed();
  const pipeline = parts.marketPipeline(events$.observable, config, { everyMs: EVERY_MS });
  let snapshots = 0;
  pipeline.batches$.subscribe((b) => {
    snapshots += b.snapshots.length;
    if (keep && b.ts % CHECK_EVERY_MS === 0) keep.push(...b.snapshots);
  });
  pipeline.ranking$.subscribe();
  const n = tape.ts.length;
  const L = loops(tape);
  const watch = new Stopwatch();
  for (let loop = 0; loop < L; loop++) {
    if (events) {
      events.moveTo(loop);
      const list = events.events;
      watch.start();
      for (let i = 0; i < n; i++) events$.next(list[i] as MarketEvent);
    } else {
      watch.start();
      for (let i = 0; i < n; i++) events$.next(eventAt(tape, loop, i));
    }
    watch.stop();
  }
  watch.start();
  events$.complete();
  watch.stop();
  return { events: L * n, seconds: watch.seconds, cpuSeconds: watch.cpuSeconds, snapshots };
}

/** The same arithmetic in a plain loop: MarketState per market, a snapshot of each at every boundary. */
function runPlainLoop(tape: Tape, events: TapeEvents): Run {
  const states = new Map<string, MarketState>();
  const n = tape.ts.length;
  const L = loops(tape);
  let boundary = -Infinity;
  let snapshots = 0;
  const watch = new Stopwatch();
  for (let loop = 0; loop < L; loop++) {
    events.moveTo(loop);
    const list = events.events;
    watch.start();
    for (let i = 0; i < n; i++) {
      const event = list[i] as MarketEvent;
      if (event.ts > boundary) {
        if (boundary > -Infinity) for (const s of states.values()) s.snapshot(boundary), snapshots++;
        boundary = Math.ceil(event.ts / EVERY_MS) * EVERY_MS;
      }
      let state = states.get(event.market);
      if (!state) states.set(event.market, (state = new MarketState(event.market)));
      state.apply(event);
    }
    watch.stop();
  }
  return { events: L * n, seconds: watch.seconds, cpuSeconds: watch.cpuSeconds, snapshots };
}

const MINUTE = 60_000;
const CHECK_EVERY_MS = 5 * MINUTE;
const FLOOR_WINDOWS = WINDOWS.map((w) => WINDOW_MS[w] / MINUTE);
const RING = Math.max(...FLOOR_WINDOWS) + 1;
const STATS = 3; // volume, value, trades

/** One market of the floor: a ring of one-minute buckets and, per window, the sum of its closed minutes. */
class FloorMarket {
  readonly buckets = new Float64Array(RING * STATS);
  readonly closed = new Float64Array(FLOOR_WINDOWS.length * STATS);
  /** The open minute k holds the events with ts in ((k − 1)·60 s, k·60 s]. */
  minute = -Infinity;
  price = 0;
  lastTs = -Infinity;

  apply(ts: number, price: number, amount: number): void {
    const minute = Math.ceil(ts / MINUTE);
    if (minute !== this.minute) this.advance(minute);
    const at = (minute % RING) * STATS;
    const b = this.buckets;
    b[at] += amount;
    b[at + 1] += price * amount;
    b[at + 2] += 1;
    this.price = price;
    this.lastTs = ts;
  }

  /** Opens `minute`: each window of n minutes gains each minute that closes and loses the one n − 1 before it. */
  advance(minute: number): void {
    if (minute <= this.minute) return;
    const b = this.buckets;
    const closed = this.closed;
    if (minute - this.minute >= RING) {
      b.fill(0);
      closed.fill(0);
    } else {
      for (let m = this.minute; m < minute; m++) {
        const gained = (m % RING) * STATS;
        for (let w = 0; w < FLOOR_WINDOWS.length; w++) {
          const lost = (((m - (FLOOR_WINDOWS[w] as number) + 1) % RING) + RING) % RING * STATS;
          const at = w * STATS;
          closed[at] += (b[gained] as number) - (b[lost] as number);
          closed[at + 1] += (b[gained + 1] as number) - (b[lost + 1] as number);
          closed[at + 2] += (b[gained + 2] as number) - (b[lost + 2] as number);
          // Sums of fractions drift under add and subtract; an empty window is exactly empty.
          if (closed[at + 2] === 0) closed[at] = closed[at + 1] = 0;
        }
        const opened = ((m + 1) % RING) * STATS;
        b[opened] = b[opened + 1] = b[opened + 2] = 0;
      }
    }
    this.minute = minute;
  }

  /** volume, value, trades, vwap of every window at the boundary `t` into `out`. */
  snapshot(t: number, out: Float64Array): void {
    this.advance(Math.ceil(t / MINUTE));
    const open = (this.minute % RING) * STATS;
    const b = this.buckets;
    for (let w = 0; w < FLOOR_WINDOWS.length; w++) {
      const volume = (this.closed[w * STATS] as number) + (b[open] as number);
      const value = (this.closed[w * STATS + 1] as number) + (b[open + 1] as number);
      out[w * 4] = volume;
      out[w * 4 + 1] = value;
      out[w * 4 + 2] = (this.closed[w * STATS + 2] as number) + (b[open + 2] as number);
      out[w * 4 + 3] = volume > 0 ? value / volume : this.price;
    }
  }
}

/**
 * The floor: the tape through FloorMarket, every market's windows computed at each boundary; those at
 * 5-minute boundaries kept (`keep`) to check against the pipeline.
 */
export function runFloor(tape: Tape, keep?: Map<string, Float64Array>): Run {
  // The pipeline's rule: a market without an event for features.staleAfter is left out of the batch.
  const staleAfter = parseConfig({}).features.staleAfter;
  const markets = tape.names.map(() => new FloorMarket());
  const out = new Float64Array(FLOOR_WINDOWS.length * 4);
  const n = tape.ts.length;
  const L = loops(tape);
  let boundary = -Infinity;
  let snapshots = 0;
  const t0 = performance.now();
  const cpu = process.cpuUsage();
  for (let loop = 0; loop < L; loop++) {
    const shift = loop * tape.span;
    for (let i = 0; i < n; i++) {
      const ts = (tape.ts[i] as number) + shift;
      if (ts > boundary) {
        if (boundary > -Infinity) {
          for (let m = 0; m < markets.length; m++) {
            const market = markets[m] as FloorMarket;
            if (market.lastTs <= boundary - staleAfter) continue;
            market.snapshot(boundary, out);
            snapshots++;
            if (keep && boundary % CHECK_EVERY_MS === 0) keep.set(`${tape.names[m]} ${boundary}`, out.slice());
          }
        }
        boundary = Math.ceil(ts / EVERY_MS) * EVERY_MS;
      }
      (markets[tape.market[i] as number] as FloorMarket).apply(ts, tape.price[i] as number, tape.amount[i] as number);
    }
  }
  return { events: L * n, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(cpu), snapshots };
}

/** The pipeline on the 30-coin 5-minute candles in memory as the candle backtest runs it: the best of three, events per CPU second. */
async function runCandles(): Promise<{ events: number; perCpuSecond: number }> {
  const config = parseConfig(JSON.parse(readFileSync(join(here, '../config/backtest-candles.json'), 'utf8')));
  const { events } = await readAll([join(here, '../../shared/data/candles/binance-spot-2021-5m')]);
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const events$ = new EventFeed<MarketEvent>();
    const pipeline = marketPipeline(events$.observable, config);
    pipeline.batches$.subscribe();
    pipeline.ranking$.subscribe();
    const watch = new Stopwatch();
    watch.start();
    for (let i = 0; i < events.length; i++) events$.next(events[i] as MarketEvent);
    events$.complete();
    watch.stop();
    best = Math.min(best, watch.cpuSeconds);
  }
  return { events: events.length, perCpuSecond: events.length / best };
}

/** Every pipeline snapshot at a 5-minute boundary against the floor's: the number compared; throws on a difference. */
function checkFloor(tape: Tape, events: TapeEvents): number {
  const floor = new Map<string, Float64Array>();
  runFloor(tape, floor);
  const pipeline: FeatureSnapshot[] = [];
  runPipeline(tape, events, pipeline);
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  for (const s of pipeline) {
    const f = floor.get(`${s.market} ${s.ts}`);
    if (!f) throw new Error(`floor: no snapshot of ${s.market} at ${s.ts}`);
    WINDOWS.forEach((w, i) => {
      const p = s.windows[w];
      if (!close(p.volume, f[i * 4] as number) || !close(p.value, f[i * 4 + 1] as number) || p.trades !== f[i * 4 + 2] || !close(p.vwap, f[i * 4 + 3] as number)) {
        throw new Error(`floor differs from the pipeline: ${s.market} at ${s.ts}, window ${w}: ${JSON.stringify(p)} against [${Array.from(f.subarray(i * 4, i * 4 + 4)).join(', ')}]`);
      }
    });
  }
  return pipeline.length;
}

export async function run(): Promise<Record<string, unknown>> {
  const tape = await loadTape();
  const events = new TapeEvents(tape);
  // A first pass of each warms the JIT; the figures come from the second.
  runPlainLoop(tape, events);
  runPipeline(tape, events);
  runFloor(tape);
  const checked = checkFloor(tape, events);
  const baseline = runPlainLoop(tape, events);
  const pipeline = runPipeline(tape, events);
  const floor = runFloor(tape);
  const building = runPipeline(tape);
  const candles = await runCandles();
  const previous = comparePrevious();
  const child = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, '_features-rss.ts')], { encoding: 'utf8' });
  const rss250 = JSON.parse(child) as { rss_mb: number };
  const eventsPerS = pipeline.events / pipeline.seconds;
  const baselinePerS = baseline.events / baseline.seconds;
  return {
    events: pipeline.events,
    events_per_s: Math.round(eventsPerS),
    baseline_events_per_s: Math.round(baselinePerS),
    slowdown_vs_baseline: Number((baselinePerS / eventsPerS).toFixed(2)),
    floor_events_per_s: Math.round(floor.events / floor.seconds),
    slowdown_vs_floor: Number((floor.events / floor.seconds / eventsPerS).toFixed(2)),
    slowdown_vs_floor_cpu: Number((pipeline.cpuSeconds / pipeline.events / (floor.cpuSeconds / floor.events)).toFixed(2)),
    events_built_per_s: Math.round(building.events / building.seconds),
    slowdown_vs_floor_cpu_building_events: Number((building.cpuSeconds / building.events / (floor.cpuSeconds / floor.events)).toFixed(2)),
    candles_pipeline_events_per_cpu_s: Math.round(candles.perCpuSecond),
    floor_checked: checked,
    snapshots: pipeline.snapshots,
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    rss_mb_250_markets: Math.round(rss250.rss_mb),
    ...previous,
  };
}

/** A child's figures (bench/_features-pipeline.ts): one tree's pipeline against this tree's floor, in CPU time. */
interface ChildFigures {
  readonly pipeline_cpu_s: number;
  readonly floor_cpu_s: number;
  readonly slowdown_vs_floor_cpu: number;
}

/**
 * BENCH_PREVIOUS=<dir>, a checkout of an earlier release with its node_modules: that tree's pipeline and
 * this one's, each in a child with the same tape and floor, alternating three times (a shared machine's
 * load moves a run by a tenth either way, so the two are compared run against run).
 */
function comparePrevious(): Record<string, unknown> {
  const previousTree = process.env['BENCH_PREVIOUS'];
  if (previousTree === undefined) return {};
  if (!existsSync(join(previousTree, 'src/engine/market-pipeline.ts'))) throw new Error(`BENCH_PREVIOUS=${previousTree}: no src/engine/market-pipeline.ts there`);
  const child = (tree: string): ChildFigures => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', join(here, '_features-pipeline.ts'), tree], { encoding: 'utf8' })) as ChildFigures;
  const previous: ChildFigures[] = [];
  const current: ChildFigures[] = [];
  for (let i = 0; i < 3; i++) {
    previous.push(child(previousTree));
    current.push(child(join(here, '..')));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
  return {
    alternating_slowdown_vs_floor_cpu: current.map((f) => f.slowdown_vs_floor_cpu),
    previous_slowdown_vs_floor_cpu: previous.map((f) => f.slowdown_vs_floor_cpu),
    alternating_pipeline_cpu_s: current.map((f) => f.pipeline_cpu_s),
    previous_pipeline_cpu_s: previous.map((f) => f.pipeline_cpu_s),
    pipeline_cpu_vs_previous: Number((median(current.map((f) => f.pipeline_cpu_s)) / median(previous.map((f) => f.pipeline_cpu_s))).toFixed(3)),
  };
}
