/**
 * The exchange side of `bench/latency.ts`, in its own process (its own core): the local Upbit server
 * with MARKETS KRW markets, each replaying the recorded KRW-LAMB frames of ../shared/data (trades and
 * 15-level books, 30 s) shifted by its own offset, LOOPS times over, at SPEED× real time, timestamps
 * moved to now. Prints its URLs as one JSON line, replays once the first subscription arrives, then
 * prints `{"sent": n}` and exits.
 *
 * It stands in for a remote exchange, whose servers are not the bot's machine: it runs at the lowest
 * priority (nice 19), so on a machine with fewer free cores than the two processes need the bot is not
 * kept waiting for a core by its own data source, and it sleeps through gaps of a millisecond or more
 * in its schedule instead of spinning. What is timed (a frame's arrival to the order) is unchanged.
 */
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UpbitServer } from '../test/helpers/upbit-server.js';

setPriority(19);
const here = dirname(fileURLToPath(import.meta.url));
const MARKETS = Number(process.env['MARKETS'] ?? 250);
const SPEED = Number(process.env['SPEED'] ?? 10);
const LOOPS = Number(process.env['LOOPS'] ?? 3);

interface Recorded {
  readonly at: number;
  readonly msg: Record<string, unknown>;
}

const recorded: Recorded[] = readFileSync(join(here, '../../shared/data/ws/upbit-2021-04/UPBIT.ws.62.0.messages.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .map((l) => JSON.parse(l) as { recv_ts: number; msg: Record<string, unknown> })
  .filter((r) => r.msg['cd'] === 'KRW-LAMB')
  .map((r) => ({ at: r.recv_ts * 1000, msg: r.msg }));
const t0 = (recorded[0] as Recorded).at;
const span = (recorded.at(-1) as Recorded).at - t0 + 100;
const codes = Array.from({ length: MARKETS }, (_, i) => `KRW-L${String(i).padStart(3, '0')}`);
// Every frame of every market and loop, in recorded time from the start (ms), in order.
const plan: { at: number; market: number; frame: number; loop: number }[] = [];
for (let loop = 0; loop < LOOPS; loop++) {
  for (let m = 0; m < MARKETS; m++) {
    const offset = (m * span) / MARKETS;
    recorded.forEach((r, f) => {
      const at = loop * span + ((r.at - t0 + offset) % span);
      plan.push({ at, market: m, frame: f, loop });
    });
  }
}
plan.sort((a, b) => a.at - b.at);

const server = await UpbitServer.start({ enforceRateLimits: false, markets: codes.map((code) => ({ code, price: 127 })) });
process.stdout.write(`${JSON.stringify({ restUrl: server.restUrl, wsUrl: server.wsUrl, frames: plan.length })}\n`);
while (server.subscriptions.length === 0) await new Promise((r) => setTimeout(r, 20));
await new Promise((r) => setTimeout(r, 200));
const wallStart = performance.now();
const tsStart = Date.now();
let sent = 0;
let i = 0;
const seconds = codes.map(() => ({ second: 0, k: 0 }));
while (i < plan.length) {
  const due = (performance.now() - wallStart) * SPEED;
  while (i < plan.length && (plan[i] as (typeof plan)[number]).at <= due) {
    const p = plan[i++] as (typeof plan)[number];
    const r = recorded[p.frame] as Recorded;
    // Exchange time runs with the recording (SPEED× the wall clock), from now.
    const ts = Math.round(tsStart + p.at);
    const frame: Record<string, unknown> = { ...r.msg, cd: codes[p.market], tms: ts };
    if (frame['ty'] === 'trade') {
      // Upbit's sequential id: the trade's second (ms) × 1000 + its count within that second.
      const second = Math.floor(ts / 1000) * 1000;
      const last = seconds[p.market] as { second: number; k: number };
      if (last.second !== second) (last.second = second), (last.k = 0);
      frame['ttms'] = ts;
      frame['sid'] = second * 1000 + last.k++;
    }
    server.publishRaw(frame);
    sent++;
  }
  const gapMs = i < plan.length ? ((plan[i] as (typeof plan)[number]).at - (performance.now() - wallStart) * SPEED) / SPEED : 0;
  await new Promise((r) => (gapMs >= 1 ? setTimeout(r, gapMs) : setImmediate(r)));
}
process.stdout.write(`${JSON.stringify({ sent, seconds: (performance.now() - wallStart) / 1000 })}\n`);
await new Promise((r) => setTimeout(r, 500));
await server.close();
process.exit(0);
