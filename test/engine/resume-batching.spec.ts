import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import type { MarketEvent } from '../../src/core/index.js';
import { writeBacktestOutput } from '../../src/engine/backtest-output.js';
import { runBacktest, type BacktestCheckpoint, type BacktestResult } from '../../src/engine/backtest.js';
import { backtestNode, loadBacktestCheckpoint, openRunStore } from '../../src/engine/nodes/backtest-node.js';
import { batched } from '../../src/market-data/batched.js';
import { readAll } from '../../src/market-data/index.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const CANDLES = 'candles/binance-spot-2021-5m';
const skip = skipWithoutSharedData() || skipWithoutRedis();
/** Eight coins from New Year to 1 March (about 136,000 events). */
const UNTIL = Date.UTC(2021, 2, 1);
/**
 * The longest delay a timer takes (2^31 - 1 ms, about 24.9 days; a position timer that never comes due is
 * set for it). The checkpoints under test lie further than this from the data's first event: a restored
 * timer set from the data's start instead of the checkpoint's time was cut to it and fired in the warm-up.
 */
const LONGEST_DELAY = 2_147_483_647;
/** A checkpoint interval that is a multiple of no batch size below nor of the coin count. */
const EVERY = 1_337;
const SIZES = [1_000, 4_096, 8_192, 20_000] as const;
/** Position states that wait on a timer (an acknowledgement, a buy timeout, a look-up). */
const TIMED = new Set(['buying', 'cancellingBuy', 'unknownBuy', 'selling', 'cancellingSell', 'unknownSell']);

function timedPositions(cp: BacktestCheckpoint): number {
  const children = (cp.engine.bot as { children: Record<string, { snapshot: { value: unknown } }> }).children;
  return Object.values(children).filter((c) => TIMED.has(String(c.snapshot.value))).length;
}

describe.skipIf(skip)('backtest resume is exact whatever the batching of the input', () => {
  let redis: RedisTestServer;
  let events: MarketEvent[];
  let profile: Record<string, unknown>;
  const outputs = async (result: BacktestResult, config: Config): Promise<Record<string, string>> => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-resume-batching-'));
    await writeBacktestOutput(dir, result, config);
    const out: Record<string, string> = {};
    for (const name of ['trades.csv', 'equity.csv', 'hourly.csv']) out[name] = readFileSync(join(dir, name), 'utf8');
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    out['balances'] = JSON.stringify(summary['balances']);
    out['statistics'] = JSON.stringify(summary['statistics']);
    return out;
  };
  // One bot id throughout (trade ids carry it); each crash and resume gets a Redis database of its own.
  // An hour of latency leaves orders and cancels in flight, positions waiting on their timers.
  const configFor = (url: string): Config =>
    parseConfig({ ...profile, botId: 'resume', bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 }, simulator: { ...(profile['simulator'] as object), latency: '1h' }, redis: { url } });

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    const files = readdirSync(sharedData(CANDLES)).filter((f) => /^(BTC|ETH|SOL|ADA|XRP|DOGE|LINK|DOT)_/.test(f)).map((f) => sharedData(CANDLES, f));
    events = (await readAll(files)).events.filter((e) => e.ts < UNTIL);
    profile = JSON.parse(readFileSync(new URL('../../config/backtest-candles.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  // The uninterrupted run on the in-memory store, fed one event per batch.
  let reference: Record<string, string> | undefined;
  const referenceOutputs = async (): Promise<Record<string, string>> => {
    const config = configFor('');
    reference ??= await outputs(await runBacktest(batched(events, 1), config), config);
    return reference;
  };

  it.each(SIZES.map((size, i) => [size, SIZES[(i + 1) % SIZES.length] as number, i + 1]))(
    'batches of %i: killed at a checkpoint with positions waiting on timers, resumed in batches of %i: ends as the uninterrupted run',
    async (size, resumeSize, db) => {
      const ref = await referenceOutputs();
      const config = configFor(`${redis.url}/${db}`);
      // The uninterrupted run in these batches is the same run.
      const plain = configFor('');
      const whole = await outputs(await runBacktest(batched(events, size), plain), plain);
      for (const name of Object.keys(ref)) expect(whole[name], name).toBe(ref[name]);

      // The crash: the run checkpoints to Redis at batch ends, as `--checkpoint-every` does, and stops (its
      // checkpoint kept, as after kill -9) right after storing one with positions waiting on timers, taken
      // longer than the longest timer delay after the data's first event.
      const first = await openRunStore(config);
      const stop = new AbortController();
      let kept: BacktestCheckpoint | undefined;
      const crashed = await runBacktest(batched(events, size), config, {
        signal: stop.signal,
        extras: { store: first },
        checkpoint: {
          every: EVERY,
          save: async (cp) => {
            first.putSnapshot('bot', 'checkpoint', JSON.stringify(cp));
            await first.flush();
            if (cp.engine.ts - (events[0] as MarketEvent).ts > LONGEST_DELAY && timedPositions(cp) > 0) {
              kept = cp;
              stop.abort();
            }
          },
        },
      });
      await first.close();
      expect(kept, 'a checkpoint with positions waiting on timers, past the longest delay').toBeDefined();
      expect(crashed.events).toBe(kept?.index);
      expect(crashed.events).toBeLessThan(events.length);

      const second = await openRunStore(config);
      const checkpoint = await loadBacktestCheckpoint(second);
      expect(checkpoint?.index).toBe(kept?.index);
      const resumed = await backtestNode({ config, batches: batched(events, resumeSize), store: second, resume: checkpoint });
      await second.close();
      expect(resumed.tracker.trades.length).toBeGreaterThan(20);
      const out = await outputs(resumed, config);
      for (const name of Object.keys(ref)) expect(out[name], `${name} resumed after ${checkpoint?.index} events`).toBe(ref[name]);
    },
    120_000,
  );
});
