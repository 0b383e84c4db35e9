/**
 * `npm run bench -- latency`: tick-to-order latency of `coinrx paper` against the local Upbit server
 * replaying recorded frames (bench/_upbit-replay.ts: 250 KRW markets replaying the KRW-LAMB frames of
 * ../shared/data, 3 loops at 10× speed). Each measured run is a process of its own
 * (bench/_latency-paper.ts, which says what each clock measures): tick to order, tick to decision,
 * per-frame handling, event-loop lag and GC pauses, p50/p99/p99.9/max in milliseconds, with the load
 * average at the start and end of the run (a 2-core machine shared with other work moves the tail).
 *
 * BENCH_PREVIOUS=<checkout of an earlier release> measures that release's `paper` with the same harness
 * in the same run (`previous`), the runs alternating (previous first); it says whether the release had
 * this bench. LATENCY_RUNS=n (default 1) repeats each side n times: the headline figures are the run
 * with the median p99 among those that received every frame, every run's p50/p99/max is listed.
 * LATENCY_NODE_FLAGS="--max-semi-space-size=64 …" runs the measured processes with those Node flags
 * (what docs/latency.md tried for the young generation).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

type Figures = Record<string, unknown> & { tick_to_order_ms: { p50: number; p99: number; p99_9?: number; max: number }; load_average: number[] };

function measure(checkout: string): Promise<Figures | { error: string }> {
  return new Promise((done) => {
    const flags = (process.env['LATENCY_NODE_FLAGS'] ?? '').split(' ').filter((f) => f.length > 0);
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', join(here, '_latency-paper.ts')], { env: { ...process.env, LATENCY_ROOT: checkout }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-1000)));
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        done(JSON.parse(line) as Figures);
      } catch {
        done({ error: `exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}` });
      }
    });
  });
}

/** A run's batch frames: the median time to their first and to their last order (ms from arrival). */
function batchMedians(r: Figures): { first: number; last: number } | undefined {
  const b = r['batch_frames'] as { first_order_ms?: { p50: number }; last_order_ms?: { p50: number } } | undefined;
  return b?.first_order_ms && b.last_order_ms ? { first: b.first_order_ms.p50, last: b.last_order_ms.p50 } : undefined;
}

function summary(runs: (Figures | { error: string })[]): Record<string, unknown> {
  const ok = runs.filter((r): r is Figures => !('error' in r));
  if (ok.length === 0) return { error: (runs[0] as { error: string }).error };
  // A run whose process fell behind the replay (starved of CPU: fewer frames received than sent) times
  // fewer batches; the headline comes from complete runs when there are any.
  const complete = ok.filter((r) => (r['frames_received'] as number) >= 0.99 * (r['frames_sent'] as number));
  const byP99 = [...(complete.length > 0 ? complete : ok)].sort((a, b) => a.tick_to_order_ms.p99 - b.tick_to_order_ms.p99);
  const headline = byP99[Math.floor((byP99.length - 1) / 2)] as Figures;
  return {
    ...headline,
    ...(runs.length > 1 ? { runs: runs.map((r) => ('error' in r ? r : { load_average: r.load_average, frames_received: r['frames_received'], tick_to_order_ms: { p50: r.tick_to_order_ms.p50, p99: r.tick_to_order_ms.p99, p99_9: r.tick_to_order_ms.p99_9, max: r.tick_to_order_ms.max }, batch_frame_orders_p50_ms: batchMedians(r), slowest_1pct_waiting_for_core_p50_ms: (r['slowest_1pct_orders_waiting_for_core_ms'] as { p50?: number } | undefined)?.p50 })) } : {}),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const times = Math.max(1, Number(process.env['LATENCY_RUNS'] ?? 1));
  const previousDir = process.env['BENCH_PREVIOUS'];
  const current: (Figures | { error: string })[] = [];
  const previous: (Figures | { error: string })[] = [];
  for (let i = 0; i < times; i++) {
    if (previousDir) previous.push(await measure(resolve(previousDir)));
    current.push(await measure(root));
  }
  let prior: Record<string, unknown> | string = 'not measured: set BENCH_PREVIOUS=<checkout of an earlier release>';
  if (previousDir) {
    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['-C', previousDir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      // not a git checkout: the commit stays unknown
    }
    prior = { commit, had_latency_bench: existsSync(join(previousDir, 'bench', 'latency.ts')), ...summary(previous) };
  }
  return { ...summary(current), previous: prior };
}
