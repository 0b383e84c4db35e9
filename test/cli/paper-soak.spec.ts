import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { bareProfile } from '../helpers/bare-profile.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

type Frame = Record<string, unknown>;
const CAPTURE = 'ws/upbit-2021-04/UPBIT.ws.62.0.messages.jsonl';
const LOOPS = 22;
const LOOP_MS = 31_000; // longer than the capture (30 s): loops never share a second

/** The capture's frame moved `shift` ms later (times and trade sequence ids, which count seconds × 10⁶). */
function shifted(frame: Frame, shift: number): Frame {
  const out: Frame = { ...frame };
  for (const key of ['tms', 'ttms']) if (typeof out[key] === 'number') out[key] = (out[key] as number) + shift;
  if (typeof out['sid'] === 'number') out['sid'] = (out['sid'] as number) + (shift / 1000) * 1e6;
  if (typeof out['ttms'] === 'number') {
    const d = new Date(out['ttms'] as number).toISOString();
    out['td'] = d.slice(0, 10);
    out['ttm'] = d.slice(11, 19);
  }
  return out;
}

describe.skipIf(skipWithoutSharedData())('paper session soak: 11 minutes of replayed Upbit frames', () => {
  const frames = readFileSync(sharedData(CAPTURE), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: Frame }).msg);
  const codes = [...new Set(frames.map((f) => String(f['cd'])))].sort();
  let server: UpbitServer;
  beforeAll(async () => {
    const price = (code: string): number => Number(frames.find((f) => f['cd'] === code && f['ty'] === 'trade')?.['tp'] ?? 1);
    server = await UpbitServer.start({ enforceRateLimits: false, markets: codes.map((code) => ({ code, price: price(code) })) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('keeps heap and handles flat, duplicates no trade, counts exactly the missing ones, and reports', async () => {
    const c = captureIo();
    const out = mkdtempSync(join(tmpdir(), 'coinrx-soak-'));
    const run = main(['paper', '--config', bareProfile(), '--exchange-url', server.restUrl, '--out', out, '--set', 'features.every=1m', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'strategy.skipBearMarket=false'], c.io);
    await waitFor(() => server.subscriptions.length > 0, 'the subscription', 10_000);
    const first = Number(frames[0]?.['tms']);
    const start = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    let baseline: { heap: number; handles: number } | undefined;
    let sent = 0;
    for (let loop = 0; loop < LOOPS; loop++) {
      // Whole seconds: a trade id counts its trades within a second.
      const shift = Math.ceil((start - first) / 1000) * 1000 + loop * LOOP_MS;
      for (const frame of frames) {
        server.publishRaw(shifted(frame, shift));
        if (++sent % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 20));
      if (loop === 3) {
        gc();
        baseline = { heap: process.memoryUsage().heapUsed, handles: process.getActiveResourcesInfo().length };
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    gc();
    const end = { heap: process.memoryUsage().heapUsed, handles: process.getActiveResourcesInfo().length };
    c.controller.abort();
    expect(await run).toBe(130);
    const base = baseline as { heap: number; handles: number };
    expect(end.handles).toBeLessThanOrEqual(base.handles + 2);
    expect(end.heap - base.heap).toBeLessThan(40 * 1024 * 1024);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { events: number; span: { fromMs: number; toMs: number }; source: { feed: { duplicates: number; gaps: number; malformed: number } } };
    expect(summary.span.toMs - summary.span.fromMs).toBeGreaterThan(10 * 60_000);
    expect(summary.events).toBeGreaterThan(LOOPS * frames.length * 0.9);
    // Each loop starts a market's trades mid-second (the capture begins at k > 0 within its first
    // second): the k trades before it are missing, and the detector counts exactly those.
    const firstK = codes.map((code) => {
      const sid = Number(frames.find((f) => f['cd'] === code && f['ty'] === 'trade')?.['sid'] ?? 0);
      return sid % 1_000_000;
    });
    expect(summary.source.feed).toMatchObject({ duplicates: 0, gaps: (LOOPS - 1) * firstK.reduce((a, b) => a + b, 0), malformed: 0 });
  });
});
