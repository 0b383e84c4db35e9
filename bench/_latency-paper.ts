/**
 * One measured run of `bench/latency.ts`, in a process of its own: `coinrx paper` of the checkout at
 * LATENCY_ROOT (default this one; an earlier release's checkout for the comparison) against the local
 * Upbit server of bench/_upbit-replay.ts in a child process. Prints its figures as one JSON line.
 *
 * Clocks (performance.now, one process):
 * - read: ws's receiver is handed a chunk off the TCP socket (`Receiver#_write`); every frame in the chunk
 *   was on the socket from then on, so frames queued behind a slow one in the same chunk show it here;
 * - arrival: the socket's `message` event for the frame (read, unmasked, before anything of coinrx);
 * - order: the order leaves for the exchange (`SimulatedExchange#createLimitOrder` is called);
 * - decision: the engine hears a strategy decision (most place no order).
 * Only orders and decisions made while a frame is handled are timed; one made by a timer is counted
 * apart (timed from the latest frame), and what happens at the stop (Ctrl-C) is only counted. Event-loop
 * lag (1 ms resolution) is sampled from the first frame on (the command's own start-up is not trading).
 * GC pauses are observed; the slowest orders are listed with the pauses that overlap them and with their
 * frame's time waiting for a core (the bot's thread runnable, another thread or process on the core: the
 * machine's load, not its own work) and the rest, its work. Nothing but the wall clock is read at a frame or a chunk.
 * LATENCY_DUMP=<file> writes every order and decision sample as JSON for analysis.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { LATENCY_PROFILE } from './_replay-plan.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.env['LATENCY_ROOT'] ?? join(here, '..'));
const MARKETS = Number(process.env['MARKETS'] ?? 250);
const SPEED = Number(process.env['SPEED'] ?? 10);
const LOOPS = Number(process.env['LOOPS'] ?? 3);

interface Sample {
  /** From the frame's message event. */
  readonly ms: number;
  /** From the read of the socket chunk that carried the frame. */
  readonly fromRead: number;
  readonly at: number;
}

function quantiles(values: number[]): Record<string, number> {
  const v = values.sort((a, b) => a - b);
  const q = (p: number): number => Number((v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? 0).toFixed(3));
  return { count: v.length, p50: q(0.5), p99: q(0.99), p99_9: q(0.999), max: Number((v.at(-1) ?? 0).toFixed(3)) };
}

/** Per frame that placed orders: its first decision, first order and last order (ms from arrival), and how many orders. */
function batchFrames(orders: readonly Sample[], decisions: readonly Sample[]): Record<string, unknown> {
  const byFrame = new Map<number, Sample[]>();
  for (const o of orders) {
    const list = byFrame.get(o.at);
    if (list) list.push(o);
    else byFrame.set(o.at, [o]);
  }
  const firstDecision = new Map<number, number>();
  for (const d of decisions) if (byFrame.has(d.at) && !firstDecision.has(d.at)) firstDecision.set(d.at, d.ms);
  const lists = [...byFrame.values()];
  return {
    frames: lists.length,
    first_decision_ms: quantiles(lists.map((l) => firstDecision.get((l[0] as Sample).at) ?? (l[0] as Sample).ms)),
    first_order_ms: quantiles(lists.map((l) => (l[0] as Sample).ms)),
    last_order_ms: quantiles(lists.map((l) => (l.at(-1) as Sample).ms)),
    orders_per_frame: quantiles(lists.map((l) => l.length)),
  };
}

const ms = (ns: number): number => Number((ns / 1e6).toFixed(3));

function gcKind(entry: PerformanceEntry): string {
  const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
  return kind === 1 ? 'minor (scavenge)' : kind === 2 ? 'major (mark-compact)' : kind === 4 ? 'incremental marking' : kind === 8 ? 'weak callbacks' : `gc kind ${kind}`;
}

const load = (path: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(root, path)).href) as Promise<Record<string, unknown>>;
const { main } = (await load('src/cli/main.ts')) as { main: (argv: string[], io: unknown) => Promise<number> };
const { SimulatedExchange } = (await load('src/exchange/index.ts')) as { SimulatedExchange: { prototype: { createLimitOrder: (...a: unknown[]) => unknown } } };
// Decisions are heard through TradingEngine#listen; a checkout without it reports decisions as not hooked.
const { TradingEngine } = (await load('src/engine/trading-engine.ts').catch(() => ({}))) as { TradingEngine?: { prototype: { listen?: (l: object) => () => void } } };

// The ws module the feed of that checkout loads.
const ws = createRequire(join(root, 'package.json'))('ws') as typeof import('ws');
const Receiver = (ws as unknown as { Receiver: { prototype: { _write: (...a: unknown[]) => void } } }).Receiver;
let read = 0;
let reads = 0;
let arrival = 0;
let arrivalRead = 0;
let inFrame = false;
let firstFrame = true;
const frames: number[] = [];
/**
 * The time this (the main) thread waited for a core while runnable, from the kernel's schedstat (Linux; its
 * second field, brought up to date whenever the thread gets a core): read at a frame's first decision and
 * again at its end when it placed orders, so a batch frame's tail can be told apart: its own work (the rest
 * of that span), or a core taken by another thread or process. Only then: a read costs several µs, and
 * nothing is read at every frame or chunk. (The process's CPU time, read at every chunk until the
 * twenty-first session, cost 5-7 µs a read, about 15 % of the bot's thread over a run, and its frames
 * waited for it. The first field, the thread's time on a core, is brought up to date at the scheduler's
 * tick, so it reads 0 for most sub-millisecond spans.)
 */
const schedstat = ((): number | undefined => {
  try {
    return openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return undefined;
  }
})();
const schedBuffer = Buffer.alloc(96);
const waitedNs = (): number => {
  if (schedstat === undefined) return Number.NaN;
  const n = readSync(schedstat, schedBuffer, 0, schedBuffer.length, 0);
  return Number(schedBuffer.toString('latin1', 0, n).split(' ')[1]);
};
let waitFrame = -1;
let waitAtFirstDecision = 0;
let firstDecisionAt = 0;
/** Per batch frame (its arrival), from its first decision to its end: ms waited for a core, and the rest (its own work). */
const frameWaits = new Map<number, number>();
const frameWork = new Map<number, number>();
let ordersAtArrival = 0;
const lag = monitorEventLoopDelay({ resolution: 1 });
const write = Receiver.prototype._write;
Receiver.prototype._write = function (this: unknown, chunk: unknown, encoding: unknown, callback: unknown): void {
  reads++;
  read = performance.now();
  write.call(this, chunk, encoding, callback);
};
const emit = ws.WebSocket.prototype.emit;
// No rest parameter: the hook allocates nothing per frame.
ws.WebSocket.prototype.emit = function (this: unknown, event: string | symbol, data?: unknown, isBinary?: unknown): boolean {
  if (event !== 'message' || inFrame) return Reflect.apply(emit, this, arguments) as boolean;
  arrival = performance.now();
  arrivalRead = read;
  ordersAtArrival = orders.length;
  if (firstFrame) {
    firstFrame = false;
    lag.enable();
  }
  inFrame = true;
  try {
    return emit.call(this, event, data, isBinary);
  } finally {
    inFrame = false;
    frames.push(performance.now() - arrival);
    if (orders.length > ordersAtArrival && waitFrame === arrival) {
      const waited = (waitedNs() - waitAtFirstDecision) / 1e6;
      frameWaits.set(arrival, waited);
      frameWork.set(arrival, performance.now() - firstDecisionAt - waited);
    }
  }
} as typeof emit;

const orders: Sample[] = [];
const decisions: Sample[] = [];
const ordersOutside: Sample[] = [];
let decisionsOutside = 0;
/** Wall times only: a system call here would slow the orders after it. */
const sample = (): Sample => {
  const now = performance.now();
  return { ms: now - arrival, fromRead: now - arrivalRead, at: arrival };
};
const create = SimulatedExchange.prototype.createLimitOrder;
let ordersBeforeFrames = 0;
/** Set at Ctrl-C: what the session does while it stops is no tick's doing. */
let stopping = false;
let ordersAtStop = 0;
SimulatedExchange.prototype.createLimitOrder = function (this: unknown, ...args: unknown[]): unknown {
  // Before the first frame no tick exists to time from (a warm-up's throwaway engine).
  if (firstFrame) ordersBeforeFrames++;
  else if (stopping) ordersAtStop++;
  // Made by a timer, not a frame: timed from the latest frame, counted apart.
  else if (!inFrame) ordersOutside.push(sample());
  else orders.push(sample());
  return create.apply(this, args);
};
const decisionListener = {
  onDecision: (): void => {
    if (firstFrame || stopping) return;
    if (inFrame) {
      decisions.push(sample());
      if (waitFrame !== arrival) {
        waitFrame = arrival;
        firstDecisionAt = performance.now();
        waitAtFirstDecision = waitedNs();
      }
    }
    else decisionsOutside++;
  },
};
const listen = TradingEngine?.prototype.listen;
if (TradingEngine && listen) {
  const hooked = new WeakSet<object>();
  TradingEngine.prototype.listen = function (this: object, l: object): () => void {
    if (!hooked.has(this)) {
      hooked.add(this);
      listen.call(this, decisionListener);
    }
    return listen.call(this, l);
  };
}

const gcs: PerformanceEntry[] = [];
const gcObserver = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
gcObserver.observe({ entryTypes: ['gc'] });

// Under `nice -n 19`, so every thread of the server is at the lowest priority: its own setPriority(19)
// reaches only its main thread (Linux gives each thread its own), and its GC and compiler threads at the
// normal priority took the bot's core for 2-8 ms at a time (the bot's thread waiting on the run queue:
// /proc/thread-self/schedstat in the slowest batch frames).
const niced = existsSync('/usr/bin/nice') ? ['/usr/bin/nice', ['-n', '19', process.execPath]] as const : [process.execPath, []] as const;
const child = spawn(niced[0], [...niced[1], '--import', 'tsx', join(here, '_upbit-replay.ts')], { env: { ...process.env, MARKETS: String(MARKETS), SPEED: String(SPEED), LOOPS: String(LOOPS) }, stdio: ['ignore', 'pipe', 'inherit'] });
const lines = createInterface({ input: child.stdout });
const next = (): Promise<Record<string, unknown>> => new Promise((done) => lines.once('line', (l) => done(JSON.parse(l) as Record<string, unknown>)));
const urls = (await next()) as { restUrl: string; wsUrl: string; frames: number };
const out = mkdtempSync(join(tmpdir(), 'coinrx-latency-'));
let err = '';
const controller = new AbortController();
const sink = (add: (s: string) => void): Writable => new Writable({ write(chunk: Buffer, _e, done) { add(chunk.toString()); done(); } });
const io = { stdout: sink(() => undefined), stderr: sink((s) => (err = (err + s).slice(-2000))), interactive: false, env: {}, signal: controller.signal };
const loadBefore = loadavg()[0] as number;
// The schema's defaults under LATENCY_PROFILE, as every earlier figure was measured (paper without --config
// trades config/default.json since the twenty-third session, whose entry gate places no order for a day).
const bare = join(out, 'bare-profile.json');
writeFileSync(bare, '{}\n');
const paper = main(
  ['paper', '--config', bare, '--rest-url', urls.restUrl, '--ws-url', urls.wsUrl, '--out', out,
    // Decisions each second of exchange time, every market eligible, positions cycling quickly.
    ...LATENCY_PROFILE.flatMap((entry) => ['--set', entry])],
  io,
);
const done = (await next()) as { sent: number; seconds: number };
lag.disable();
const loadAfter = loadavg()[0] as number;
stopping = true;
controller.abort();
const code = await paper;
gcObserver.disconnect();
rmSync(out, { recursive: true, force: true });
if (code !== 130) throw new Error(`paper ended with ${code}: ${err.slice(-500)}`);
if (process.env['LATENCY_DUMP']) writeFileSync(process.env['LATENCY_DUMP'], JSON.stringify({ orders, decisions, gcs: gcs.map((g) => ({ start: g.startTime, ms: g.duration, kind: gcKind(g) })) }));

const pauses = gcs.map((g) => ({ start: g.startTime, ms: g.duration, kind: gcKind(g) }));
const overlapping = (s: Sample): string[] => pauses.filter((p) => p.start + p.ms >= s.at && p.start <= s.at + s.ms).map((p) => `${p.kind} ${p.ms.toFixed(1)} ms`);
const sorted = [...orders].sort((a, b) => b.ms - a.ms);
const tail = sorted.slice(0, Math.max(1, Math.ceil(sorted.length / 100)));
const byKind: Record<string, { count: number; total_ms: number; max_ms: number }> = {};
for (const p of pauses) {
  const k = (byKind[p.kind] ??= { count: 0, total_ms: 0, max_ms: 0 });
  k.count++;
  k.total_ms = Number((k.total_ms + p.ms).toFixed(1));
  k.max_ms = Number(Math.max(k.max_ms, p.ms).toFixed(2));
}
process.stdout.write(
  `${JSON.stringify({
    load_average: [Number(loadBefore.toFixed(2)), Number(loadAfter.toFixed(2))],
    markets: MARKETS,
    speed: SPEED,
    frames_sent: done.sent,
    frames_received: frames.length,
    replay_s: Number(done.seconds.toFixed(2)),
    tick_to_order_ms: quantiles(orders.map((s) => s.ms)),
    tick_to_order_from_read_ms: quantiles(orders.map((s) => s.fromRead)),
    orders_outside_frame: ordersOutside.length,
    ...(ordersOutside.length > 0 ? { outside_frame_ms_since_last_frame: quantiles(ordersOutside.map((s) => s.ms)) } : {}),
    orders_before_first_frame: ordersBeforeFrames,
    // The stop (Ctrl-C) completes the feature stream: its last, partial batch can still place buys.
    orders_at_stop: ordersAtStop,
    // Orders come in batches, at a feature batch (features.every): the frame that closes one pays for the
    // whole batch (every market's snapshot, the ranking, the strategy, each order in turn).
    batch_frames: batchFrames(orders, decisions),
    tick_to_decision_ms: listen ? quantiles(decisions.map((s) => s.ms)) : 'not hooked (no TradingEngine#listen in this checkout)',
    decisions_outside_frame: decisionsOutside,
    frame_handling_ms: quantiles(frames),
    frames_per_read: Number((frames.length / Math.max(1, reads)).toFixed(1)),
    event_loop_lag_ms: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), p99_9: ms(lag.percentile(99.9)), max: ms(lag.max) },
    gc: byKind,
    slowest_1pct_orders_during_gc: `${tail.filter((s) => overlapping(s).length > 0).length}/${tail.length}`,
    // From the frame's first decision to its end, in the frames of the slowest 1 % of orders and in every batch
    // frame (Linux only): the bot's thread runnable but not running (another thread or process had the core),
    // and the rest of that span, its own work (GC pauses included).
    ...(schedstat === undefined ? {} : {
      slowest_1pct_orders_waiting_for_core_ms: quantiles(tail.map((s) => frameWaits.get(s.at) ?? 0)),
      slowest_1pct_orders_frame_work_ms: quantiles(tail.map((s) => frameWork.get(s.at) ?? 0)),
      batch_frames_waiting_for_core_ms: quantiles([...frameWaits.values()]),
      batch_frames_work_ms: quantiles([...frameWork.values()]),
    }),
    worst_orders: sorted.slice(0, 5).map((s) => ({ ms: Number(s.ms.toFixed(3)), from_read_ms: Number(s.fromRead.toFixed(3)), gc_during: overlapping(s), ...(schedstat === undefined ? {} : { frame_work_ms: Number((frameWork.get(s.at) ?? 0).toFixed(3)), waiting_for_core_ms: Number((frameWaits.get(s.at) ?? 0).toFixed(3)) }) })),
  })}\n`,
);
child.kill();
process.exit(0);
