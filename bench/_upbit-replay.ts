/**
 * The exchange side of `bench/latency.ts`, in its own process (its own core): the local Upbit server
 * with MARKETS KRW markets, each replaying the recorded KRW-LAMB frames of ../shared/data (trades and
 * 15-level books, 30 s) shifted by its own offset, LOOPS times over, at SPEED× real time, timestamps
 * moved to now. Prints its URLs as one JSON line, replays once the first subscription arrives, then
 * prints `{"sent": n}` and exits.
 *
 * It stands in for a remote exchange, whose servers are not the bot's machine: it runs at the lowest
 * priority (nice 19: bench/_latency-paper.ts starts it under `nice -n 19`, which every thread inherits;
 * setPriority below reaches only the calling thread on Linux, for a start without it), so on a machine with fewer free cores than the two processes need the bot is not
 * kept waiting for a core by its own data source, and it sleeps through gaps of a millisecond or more
 * in its schedule instead of spinning. What is timed (a frame's arrival to the order) is unchanged.
 */
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UpbitServer } from '../test/helpers/upbit-server.js';
import { replayFrames, replayPlan } from './_replay-plan.js';

setPriority(19);
const here = dirname(fileURLToPath(import.meta.url));
const MARKETS = Number(process.env['MARKETS'] ?? 250);
const SPEED = Number(process.env['SPEED'] ?? 10);
const LOOPS = Number(process.env['LOOPS'] ?? 3);

const replay = replayPlan(here, MARKETS, LOOPS);
const { codes, plan } = replay;

const server = await UpbitServer.start({ enforceRateLimits: false, markets: codes.map((code) => ({ code, price: 127 })) });
process.stdout.write(`${JSON.stringify({ restUrl: server.restUrl, wsUrl: server.wsUrl, frames: plan.length })}\n`);
while (server.subscriptions.length === 0) await new Promise((r) => setTimeout(r, 20));
await new Promise((r) => setTimeout(r, 200));
const wallStart = performance.now();
const tsStart = Date.now();
let sent = 0;
let i = 0;
// Exchange time runs with the recording (SPEED× the wall clock), from now.
const frameOf = replayFrames(replay, tsStart);
while (i < plan.length) {
  const due = (performance.now() - wallStart) * SPEED;
  while (i < plan.length && (plan[i] as (typeof plan)[number]).at <= due) {
    const frame = frameOf(plan[i++] as (typeof plan)[number]);
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
