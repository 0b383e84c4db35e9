/**
 * `npm run bench -- latency`: `coinrx paper` (the command itself, in this process) against the local
 * Upbit server in a child process (bench/_upbit-replay.ts: 250 KRW markets replaying the recorded
 * KRW-LAMB frames of ../shared/data, 3 loops at 10× speed). Measured in this process:
 * - tick to order: from a websocket frame's `message` event (the frame read off the socket and
 *   unmasked) to the engine's order command leaving for the exchange (`onOrderCommand` `create`, just
 *   before `exchange.createLimitOrder`), for the frame that made it;
 * - tick to decision: the same to each strategy decision (most decisions place no order);
 * - frames: the time each frame takes in this process (parse, feed, engine) start to end;
 * - event-loop lag (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and every GC pause; the worst
 *   samples are named with the GC pauses that overlap them.
 * A decision or order made outside a frame's handling (a timer) is counted in `*_outside_frame` and
 * timed from the latest frame. p50/p99/p99.9/max in milliseconds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { TradingEngine, type EngineListener } from '../src/engine/trading-engine.js';
import { captureIo } from '../test/helpers/capture-io.js';

const here = dirname(fileURLToPath(import.meta.url));
const MARKETS = 250;
const SPEED = 10;
const LOOPS = 3;

interface Sample {
  readonly ms: number;
  readonly at: number;
}

function quantiles(samples: readonly Sample[]): Record<string, number> {
  const v = samples.map((s) => s.ms).sort((a, b) => a - b);
  const q = (p: number): number => Number((v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? 0).toFixed(3));
  return { count: v.length, p50: q(0.5), p99: q(0.99), p99_9: q(0.999), max: Number((v.at(-1) ?? 0).toFixed(3)) };
}

export async function run(): Promise<Record<string, unknown>> {
  // The frame being handled: set around ws's `message` dispatch (the same ws module the feed loads).
  const ws = createRequire(import.meta.url)('ws') as typeof import('ws');
  let arrival = 0;
  let inFrame = false;
  const frames: Sample[] = [];
  const emit = ws.WebSocket.prototype.emit;
  ws.WebSocket.prototype.emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'message' || inFrame) return emit.call(this, event, ...args);
    arrival = performance.now();
    inFrame = true;
    try {
      return emit.call(this, event, ...args);
    } finally {
      inFrame = false;
      frames.push({ ms: performance.now() - arrival, at: arrival });
    }
  } as typeof emit;

  const decisions: Sample[] = [];
  const orders: Sample[] = [];
  let decisionsOutside = 0;
  let ordersOutside = 0;
  const listener: EngineListener = {
    onDecision: () => {
      decisions.push({ ms: performance.now() - arrival, at: arrival });
      if (!inFrame) decisionsOutside++;
    },
    onOrderCommand: (c) => {
      if (c.type !== 'create') return;
      orders.push({ ms: performance.now() - arrival, at: arrival });
      if (!inFrame) ordersOutside++;
    },
  };
  const listen = TradingEngine.prototype.listen;
  TradingEngine.prototype.listen = function (this: TradingEngine, l: EngineListener): () => void {
    if (!(this as unknown as { benchListening?: true }).benchListening) {
      (this as unknown as { benchListening?: true }).benchListening = true;
      listen.call(this, listener);
    }
    return listen.call(this, l);
  };

  const gcs: PerformanceEntry[] = [];
  const gcObserver = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  gcObserver.observe({ entryTypes: ['gc'] });
  const lag = monitorEventLoopDelay({ resolution: 1 });

  const child = spawn(process.execPath, ['--import', 'tsx', join(here, '_upbit-replay.ts')], { env: { ...process.env, MARKETS: String(MARKETS), SPEED: String(SPEED), LOOPS: String(LOOPS) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = (): Promise<Record<string, unknown>> => new Promise((resolve) => lines.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>)));
  const urls = (await next()) as { restUrl: string; wsUrl: string; frames: number };
  const out = mkdtempSync(join(tmpdir(), 'coinrx-latency-'));
  const { io, err, controller } = captureIo();
  const paper = main(
    ['paper', '--rest-url', urls.restUrl, '--ws-url', urls.wsUrl, '--out', out,
      // Decisions each second of exchange time, every market eligible, positions cycling quickly.
      '--set', 'features.every=1s', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'strategy.skipBearMarket=false',
      '--set', 'strategy.takeProfit=0.005', '--set', 'strategy.stopLoss=0.005', '--set', 'allocation.maxPositions=20'],
    io,
  );
  lag.enable();
  const done = (await next()) as { sent: number; seconds: number };
  lag.disable();
  controller.abort();
  const code = await paper;
  gcObserver.disconnect();
  ws.WebSocket.prototype.emit = emit;
  TradingEngine.prototype.listen = listen;
  rmSync(out, { recursive: true, force: true });
  if (code !== 130) throw new Error(`paper ended with ${code}: ${err().slice(-500)}`);

  const pauses = gcs.map((g) => ({ start: g.startTime, ms: g.duration, kind: gcKind(g) }));
  const worst = [...orders].sort((a, b) => b.ms - a.ms).slice(0, 5).map((s) => ({
    ms: Number(s.ms.toFixed(3)),
    gc_during: pauses.filter((p) => p.start + p.ms >= s.at && p.start <= s.at + s.ms).map((p) => `${p.kind} ${p.ms.toFixed(1)} ms`),
  }));
  const byKind: Record<string, { count: number; total_ms: number; max_ms: number }> = {};
  for (const p of pauses) {
    const k = (byKind[p.kind] ??= { count: 0, total_ms: 0, max_ms: 0 });
    k.count++;
    k.total_ms = Number((k.total_ms + p.ms).toFixed(1));
    k.max_ms = Number(Math.max(k.max_ms, p.ms).toFixed(2));
  }
  return {
    markets: MARKETS,
    speed: SPEED,
    frames_sent: done.sent,
    frames_received: frames.length,
    replay_s: Number(done.seconds.toFixed(2)),
    tick_to_order_ms: quantiles(orders),
    orders_outside_frame: ordersOutside,
    tick_to_decision_ms: quantiles(decisions),
    decisions_outside_frame: decisionsOutside,
    frame_handling_ms: quantiles(frames),
    event_loop_lag_ms: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), p99_9: ms(lag.percentile(99.9)), max: ms(lag.max) },
    gc: byKind,
    worst_orders: worst,
  };
}

function ms(ns: number): number {
  return Number((ns / 1e6).toFixed(3));
}

function gcKind(entry: PerformanceEntry): string {
  const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
  return kind === 1 ? 'minor (scavenge)' : kind === 2 ? 'major (mark-compact)' : kind === 4 ? 'incremental marking' : kind === 8 ? 'weak callbacks' : `gc kind ${kind}`;
}
