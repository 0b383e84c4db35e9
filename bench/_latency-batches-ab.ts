/**
 * `bench/_latency-batches.ts` for two trees in one process, paired: LATENCY_A and LATENCY_B (checkouts;
 * default B this one) each get a paper node's kernel, and every replay frame is parsed and fed to both,
 * alternating which goes first. A batch frame is timed on both sides at the same moment of the machine's
 * load, so the per-batch difference (B − A) is what a change did even when the load moves between runs
 * of a few seconds (it moved the medians of separate runs by ±30 % at load 3–5). Prints one JSON line:
 * each side's medians and the median and quartiles of the paired differences (CPU ms, the process's
 * CPU time from the frame's start to its first and its last order and to its end).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LATENCY_PROFILE, replayFrames, replayPlan } from './_replay-plan.js';

const here = dirname(fileURLToPath(import.meta.url));
const MARKETS = Number(process.env['MARKETS'] ?? 250);
const LOOPS = Number(process.env['LOOPS'] ?? 6);

type Kernel = { feed(e: unknown): void; engine: { listen(l: object): void } };
interface Side {
  readonly root: string;
  readonly parse: (b: Buffer) => unknown;
  readonly parser: { handle(f: object, out: unknown[]): string };
  readonly start: (ts: number) => Kernel;
  kernel: Kernel | undefined;
  /** Per batch frame (by frame index): CPU ms to the first order, to the last, and the whole frame. */
  readonly batches: Map<number, [number, number, number]>;
}

let current: Side | undefined;
let orders = 0;
let cpuStart: NodeJS.CpuUsage = { user: 0, system: 0 };
let firstCpu = 0;
let lastCpu = 0;
const cpuMs = (): number => {
  const c = process.cpuUsage(cpuStart);
  return (c.user + c.system) / 1000;
};

async function side(root: string): Promise<Side> {
  const load = (path: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(root, path)).href) as Promise<Record<string, unknown>>;
  const { loadConfig } = (await load('src/config.ts')) as { loadConfig: (o: { set: string[] }) => { exchange: { quote: string } } };
  const { paperNode } = (await load('src/engine/nodes/paper-node.ts')) as { paperNode: (o: object) => { start(ts: number): Kernel } };
  const { parseUpbitFrameJson } = (await load('src/market-data/parsers/upbit-frame-json.ts')) as { parseUpbitFrameJson: (b: Buffer) => unknown };
  const { UpbitFrames } = (await load('src/market-data/parsers/upbit-frames.ts')) as { UpbitFrames: new () => { handle(f: object, out: unknown[]): string } };
  const { SimulatedExchange } = (await load('src/exchange/index.ts')) as { SimulatedExchange: { prototype: { createLimitOrder: (...a: unknown[]) => unknown } } };
  const create = SimulatedExchange.prototype.createLimitOrder;
  SimulatedExchange.prototype.createLimitOrder = function (this: unknown, ...args: unknown[]): unknown {
    if (current !== undefined) {
      const cpu = cpuMs();
      if (orders++ === 0) firstCpu = cpu;
      lastCpu = cpu;
    }
    return create.apply(this, args);
  };
  const config = loadConfig({
    set: LATENCY_PROFILE,
  });
  const node = paperNode({ config, quote: config.exchange.quote });
  return { root, parse: parseUpbitFrameJson, parser: new UpbitFrames(), start: (ts) => node.start(ts), kernel: undefined, batches: new Map() };
}

const a = await side(resolve(process.env['LATENCY_A'] ?? join(here, '..')));
const b = await side(resolve(process.env['LATENCY_B'] ?? join(here, '..')));

const replay = replayPlan(here, MARKETS, LOOPS);

const events: unknown[] = [];
function feed(s: Side, data: Buffer, index: number): void {
  orders = 0;
  current = s;
  cpuStart = process.cpuUsage();
  const f = s.parse(data) as Record<string, unknown>;
  events.length = 0;
  s.parser.handle(f, events);
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as { ts: number };
    if (s.kernel === undefined) {
      s.kernel = s.start(e.ts);
      s.kernel.engine.listen({ onRanking: () => {}, onOrderEvent: () => {} });
    }
    s.kernel.feed(e);
  }
  if (orders > 0) s.batches.set(index, [firstCpu, lastCpu, cpuMs()]);
  current = undefined;
}

const tsStart = Date.UTC(2026, 0, 1);
const frameOf = replayFrames(replay, tsStart);
let index = 0;
for (const p of replay.plan) {
  const ts = Math.round(tsStart + p.at);
  const frame = frameOf(p);
  const data = Buffer.from(JSON.stringify(frame));
  // Which side goes first alternates with each batch (a batch is about a thousand frames of 1 s).
  const aFirst = Math.floor(ts / 1000) % 2 === 0;
  feed(aFirst ? a : b, data, index);
  feed(aFirst ? b : a, data, index);
  index++;
}

const q = (values: number[], p: number): number => {
  const v = [...values].sort((x, y) => x - y);
  return Number((v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? 0).toFixed(3));
};
const paired = [...a.batches.keys()].filter((i) => b.batches.has(i));
const column = (s: Side, k: number): number[] => paired.map((i) => (s.batches.get(i) as number[])[k] as number);
const diff = (k: number): number[] => paired.map((i) => ((b.batches.get(i) as number[])[k] as number) - ((a.batches.get(i) as number[])[k] as number));
const names = ['first_order', 'last_order', 'batch_frame'];
const out: Record<string, unknown> = { a: a.root, b: b.root, batches_a: a.batches.size, batches_b: b.batches.size, paired: paired.length };
names.forEach((n, k) => {
  out[n] = { a_p50: q(column(a, k), 0.5), b_p50: q(column(b, k), 0.5), diff_p25: q(diff(k), 0.25), diff_p50: q(diff(k), 0.5), diff_p75: q(diff(k), 0.75) };
});
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
