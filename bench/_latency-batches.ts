/**
 * The batch frames of `bench/latency.ts` measured in one process, without the network: the replay's
 * frames (bench/_replay-plan.ts, the replay server's plan: MARKETS markets replaying the recorded KRW-LAMB frames, LOOPS
 * loops) serialized, then each parsed (`parseUpbitFrameJson`, `UpbitFrames`) and fed to a paper node's
 * kernel (`paperNode`, its warm-up included) as `coinrx paper` does, with the bench's settings. For each
 * frame that placed orders: the process's CPU time (and wall time) from the frame's start (before its
 * parse) to its first and its last order and to its end. Prints one JSON line of medians and quartiles.
 *
 * LATENCY_ROOT=<checkout> measures another tree with the same harness (alternate runs for an A/B);
 * LATENCY_VM=1 feeds each frame that closes a feature batch through a vm script, so that callgrind counts the
 * batch frames' instructions alone: `valgrind --tool=callgrind --collect-atstart=no
 * --toggle-collect='node::contextify::ContextifyScript::RunInContext*' node --single-threaded …`
 * (single-threaded: no compiler thread; or `--separate-threads=yes` and the main thread's file);
 * LATENCY_SEGMENTS=<file> (with LATENCY_VM=1) splits each counted batch frame's count at its start, each of its
 * first four CANCEL_BUY decisions and their cancel commands, its first BUY decision, its first two orders and
 * its end: at each it calls `os.getPriority()`, so callgrind's `--dump-before='node::os::GetPriority*'` writes
 * one dump a segment (dump n + 1, the main thread's `-01` file, ends at the n-th label), and writes the
 * labels in order to the file.
 * LOOPS (default 3), MARKETS (default 250). What a frame's serialization costs is outside the span.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LATENCY_PROFILE, replayFrames, replayPlan } from './_replay-plan.js';
import { Script } from 'node:vm';
import { getPriority } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.env['LATENCY_ROOT'] ?? join(here, '..'));
const MARKETS = Number(process.env['MARKETS'] ?? 250);
const LOOPS = Number(process.env['LOOPS'] ?? 3);
/** Under a CPU profiler: no CPU-time reads (a system call each, where the sampler's ticks pile up); wall times only. */
const NO_CPU = process.env['LATENCY_NO_CPU'] === '1';
const zero: NodeJS.CpuUsage = { user: 0, system: 0 };
const cpuUsage = (since?: NodeJS.CpuUsage): NodeJS.CpuUsage => (NO_CPU ? zero : process.cpuUsage(since));

const load = (path: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(root, path)).href) as Promise<Record<string, unknown>>;
type Kernel = { feed(e: unknown): void; engine: { listen(l: object): void } };
const { loadConfig } = (await load('src/config.ts')) as { loadConfig: (o: { set: string[] }) => { exchange: { quote: string } } };
const { paperNode } = (await load('src/engine/nodes/paper-node.ts')) as { paperNode: (o: object) => { start(ts: number): Kernel } };
const { parseUpbitFrameJson } = (await load('src/market-data/parsers/upbit-frame-json.ts')) as { parseUpbitFrameJson: (b: Buffer) => unknown };
const { UpbitFrames } = (await load('src/market-data/parsers/upbit-frames.ts')) as { UpbitFrames: new () => { handle(f: object, out: unknown[]): string } };
const { SimulatedExchange } = (await load('src/exchange/index.ts')) as { SimulatedExchange: { prototype: { createLimitOrder: (...a: unknown[]) => unknown } } };

const replay = replayPlan(here, MARKETS, LOOPS);

const config = loadConfig({
  set: LATENCY_PROFILE,
});
const node = paperNode({ config, quote: config.exchange.quote });

let inFrame = false;
/** LATENCY_TIMELINE=1: the wall time of each decision, ranking and order command in the batch frames (ms from the frame's start), printed as medians by rank. */
const TIMELINE = process.env['LATENCY_TIMELINE'] === '1';
let marks: [string, number][] = [];
const timelines: [string, number][][] = [];
const mark = (what: string): void => void (inFrame && marks.push([what, performance.now() - wallStart]));
let orders = 0;
let cpuStart: NodeJS.CpuUsage = { user: 0, system: 0 };
let wallStart = 0;
let firstCpu = 0;
let lastCpu = 0;
let firstWall = 0;
let lastWall = 0;
const create = SimulatedExchange.prototype.createLimitOrder;
SimulatedExchange.prototype.createLimitOrder = function (this: unknown, ...args: unknown[]): unknown {
  if (inFrame) {
    const c = cpuUsage(cpuStart);
    const w = performance.now() - wallStart;
    const cpu = (c.user + c.system) / 1000;
    if (orders++ === 0) (firstCpu = cpu), (firstWall = w);
    lastCpu = cpu;
    lastWall = w;
  }
  return create.apply(this, args);
};

const parser = new UpbitFrames();
const events: unknown[] = [];
const first: number[] = [];
const last: number[] = [];
const whole: number[] = [];
const firstW: number[] = [];
const lastW: number[] = [];
let totalOrders = 0;
/** The batch frames' spans on the monotonic clock a CPU profile's timestamps use (µs), for LATENCY_INTERVALS. */
const intervals: [number, number][] = [];
let hrStart = 0n;
let kernel: Kernel | undefined;
let current = Buffer.alloc(0);
const SEGMENTS = process.env['LATENCY_SEGMENTS'];
/** In a counted batch frame (LATENCY_SEGMENTS): the labels so far, and the frame's counts of each mark. */
let segmenting = false;
const labels: string[] = [];
const seen = { cancels: 0, buys: 0, creates: 0 };
const segment = (label: string): void => {
  if (!segmenting) return;
  labels.push(label);
  getPriority();
};
function feedFrame(): void {
  segment('start');
  const f = parseUpbitFrameJson(current) as Record<string, unknown>;
  events.length = 0;
  parser.handle(f, events);
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as { ts: number };
    if (kernel === undefined) {
      kernel = node.start(e.ts);
      kernel.engine.listen({ onRanking: () => {}, onOrderEvent: () => {} });
      if (SEGMENTS)
        kernel.engine.listen({
          onDecision: (d: { kind: string }) => {
            if (d.kind === 'CANCEL_BUY' && ++seen.cancels <= 4) segment(`cancel ${seen.cancels} decision`);
            if (d.kind === 'BUY' && ++seen.buys === 1) segment('first BUY decision');
          },
          onOrderCommand: (c: { type: string }) => {
            if (c.type === 'cancel' && seen.cancels <= 4) segment(`cancel ${seen.cancels} command`);
            if (c.type === 'create' && ++seen.creates <= 2) segment(`order ${seen.creates}`);
          },
        });
      if (TIMELINE) kernel.engine.listen({ onDecision: (d: { kind: string }) => mark(`decision ${d.kind}`), onRanking: () => mark('ranking'), onOrderCommand: (c: { type: string; side?: string }) => mark(`command ${c.type} ${c.side ?? ''}`), onOrderEvent: (e: { type: string }) => mark(`event ${e.type}`), onEquity: () => mark('equity') });
    }
    kernel.feed(e);
  }
  segment('end');
}
const VM = process.env['LATENCY_VM'] === '1';
/** LATENCY_VM_SKIP=n: the first n batch frames are not counted (most of the code is compiled by then). */
let vmSkip = Number(process.env['LATENCY_VM_SKIP'] ?? 0);
(globalThis as { __latencyFeedFrame?: () => void }).__latencyFeedFrame = feedFrame;
const batchScript = new Script('__latencyFeedFrame()');
let batchEnd = -Infinity;
const tsStart = Date.UTC(2026, 0, 1);
const frameOf = replayFrames(replay, tsStart);
for (const p of replay.plan) {
  const ts = Math.round(tsStart + p.at);
  const frame = frameOf(p);
  const data = Buffer.from(JSON.stringify(frame));
  orders = 0;
  marks = [];
  inFrame = true;
  wallStart = performance.now();
  cpuStart = cpuUsage();
  hrStart = process.hrtime.bigint();
  current = data;
  // The frame that closes a feature batch (the engine's rule: past the batch's end), under LATENCY_VM=1
  // run through a vm script, so that callgrind can count it alone (see the header).
  if (VM && ts > batchEnd && kernel !== undefined && vmSkip-- <= 0) {
    segmenting = SEGMENTS !== undefined;
    seen.cancels = seen.buys = seen.creates = 0;
    batchScript.runInThisContext();
    segmenting = false;
  }
  else feedFrame();
  if (ts > batchEnd) batchEnd = Math.ceil(ts / 1000) * 1000;
  if (orders > 0) {
    const c = cpuUsage(cpuStart);
    whole.push((c.user + c.system) / 1000);
    first.push(firstCpu);
    last.push(lastCpu);
    firstW.push(firstWall);
    lastW.push(lastWall);
    totalOrders += orders;
    timelines.push(marks);
    intervals.push([Number(hrStart / 1000n), Number(process.hrtime.bigint() / 1000n)]);
  }
  inFrame = false;
}

const q = (values: number[], p: number): number => {
  const v = [...values].sort((a, b) => a - b);
  return Number((v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? 0).toFixed(3));
};
const stats = (v: number[]): { p25: number; p50: number; p75: number } => ({ p25: q(v, 0.25), p50: q(v, 0.5), p75: q(v, 0.75) });
process.stdout.write(
  `${JSON.stringify({
    root,
    batches: first.length,
    orders: totalOrders,
    cpu_first_order_ms: stats(first),
    cpu_last_order_ms: stats(last),
    cpu_batch_frame_ms: stats(whole),
    wall_first_order_ms: stats(firstW),
    wall_last_order_ms: stats(lastW),
  })}\n`,
);
if (TIMELINE) {
  // Per kind of mark, its n-th occurrence in a frame: median time over the frames that have it.
  const byKey = new Map<string, number[]>();
  for (const t of timelines) {
    const seen = new Map<string, number>();
    for (const [what, at] of t) {
      const n = (seen.get(what) ?? 0) + 1;
      seen.set(what, n);
      const key = `${what} #${n}`;
      (byKey.get(key) ?? byKey.set(key, []).get(key))!.push(at);
    }
  }
  const rows = [...byKey].map(([k, v]) => ({ k, n: v.length, p50: q(v, 0.5) })).filter((r) => r.n >= timelines.length / 4).sort((a, b) => a.p50 - b.p50);
  for (const r of rows) process.stderr.write(`${r.p50.toFixed(3).padStart(8)} ms  ${r.k} (${r.n})\n`);
}
if (SEGMENTS) writeFileSync(SEGMENTS, JSON.stringify(labels));
if (process.env['LATENCY_INTERVALS']) writeFileSync(process.env['LATENCY_INTERVALS'], JSON.stringify(intervals));
process.exit(0);
