import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import type { FeatureSnapshot, MarketEvent } from '../../src/core/index.js';
import { runBacktest } from '../../src/engine/backtest.js';
import { EventFeed } from '../../src/engine/event-feed.js';
import { useFeatureThread, withFeatureThread } from '../../src/engine/feature-thread.js';
import { marketPipeline } from '../../src/engine/market-pipeline.js';
import { PrecomputedFeatures } from '../../src/engine/precomputed-features.js';
import { batched, readAll } from '../../src/market-data/index.js';
import { generateMarket } from '../../src/market-data/generator.js';
import type { FeatureBatch } from '../../streams/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const golden = join(new URL('.', import.meta.url).pathname, '../golden');

/** Every field of every snapshot, the windows as their JSON (the eleven windows' figures). */
function plain(batches: readonly FeatureBatch[]): unknown[] {
  return batches.map((b) => ({ ts: b.ts, snapshots: b.snapshots.map((s: FeatureSnapshot) => ({ ...s, windows: JSON.parse(JSON.stringify(s.windows)) as unknown })) }));
}

/** The batches the engine's own pipeline emits, each with the number of events fed before it. */
function inProcess(events: readonly MarketEvent[], config: Config): { at: number[]; batches: FeatureBatch[] } {
  const feed = new EventFeed<MarketEvent>();
  const out = { at: [] as number[], batches: [] as FeatureBatch[] };
  let fed = 0;
  marketPipeline(feed.observable, config).batches$.subscribe((b) => {
    out.at.push(fed);
    out.batches.push(b);
  });
  for (const e of events) {
    feed.next(e);
    fed++;
  }
  feed.complete();
  return out;
}

/** The same events through a feature thread, read back as the engine reads them (PrecomputedFeatures). */
async function threaded(events: readonly MarketEvent[], config: Config, size: number): Promise<{ at: number[]; batches: FeatureBatch[] }> {
  const features = new PrecomputedFeatures();
  const out = { at: [] as number[], batches: [] as FeatureBatch[] };
  let fed = 0;
  features.batches$.subscribe((b) => {
    out.at.push(fed);
    out.batches.push(b);
  });
  for await (const batch of withFeatureThread(batched(events, size), config, features)) {
    for (const e of batch) {
      features.next(e);
      fed++;
    }
  }
  features.complete();
  return out;
}

describe('feature thread (precomputed feature batches)', () => {
  it('gives the engine the batches its own pipeline emits, at the same events, on real candles', async () => {
    const config = parseConfig(JSON.parse(JSON.stringify({ features: { every: '5m', staleAfter: '1d' } })));
    const { events } = await readAll([join(golden, 'candles')]);
    expect(events.length).toBeGreaterThan(1000);
    const want = inProcess(events, config);
    // Blocks of several sizes: batches and snapshots split across the thread's answers every which way.
    for (const size of [777, 8192]) {
      const got = await threaded(events, config, size);
      expect(got.at).toEqual(want.at);
      expect(plain(got.batches)).toEqual(plain(want.batches));
      // The regime records are the shared ones (strategies may compare them by identity).
      expect(got.batches.at(-1)?.snapshots[0]?.regime).toBe(want.batches.at(-1)?.snapshots[0]?.regime);
    }
  });

  it('carries trades and book tops (the touch), a batch a second', async () => {
    const config = parseConfig({ features: { every: '1s', staleAfter: '1h' } });
    const events = [...generateMarket({ seed: 7, markets: 3, durationMs: 3_600_000 })];
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(['trade', 'book']));
    const want = inProcess(events, config);
    const got = await threaded(events, config, 5000);
    expect(got.at).toEqual(want.at);
    expect(plain(got.batches)).toEqual(plain(want.batches));
    expect(got.batches.some((b) => b.snapshots.some((s) => s.touch !== undefined))).toBe(true);
  });

  it('a backtest with its features in a thread has the same results as without', async () => {
    const config = parseConfig(JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(golden, 'config.json'), 'utf8'))) as Record<string, unknown>);
    const { events } = await readAll([join(golden, 'candles')]);
    const plainRun = await runBacktest(batched(events, 4096), config);
    const threadedRun = await runBacktest(batched(events, 4096), config, { featureThread: true });
    expect(threadedRun.tracker.trades.length).toBeGreaterThan(0);
    expect(JSON.stringify(threadedRun.summary)).toBe(JSON.stringify(plainRun.summary));
    expect(JSON.stringify(threadedRun.tracker.trades)).toBe(JSON.stringify(plainRun.tracker.trades));
    expect(JSON.stringify(threadedRun.results)).toBe(JSON.stringify(plainRun.results));
  });

  it('is used by coinrx backtest only with a core for each of its three threads and data worth a thread, unless forced', async () => {
    const big = join(golden, 'candles');
    // The golden candles are small (under the reader thread's 4 MB): no thread whatever the cores.
    expect(await useFeatureThread([big], {}, 8)).toBe(false);
    expect(await useFeatureThread([big], { COINRX_FEATURE_THREAD: '1' }, 2)).toBe(true);
    if (skipWithoutSharedData()) return;
    const shared = sharedData('candles', 'binance-spot-2021-5m');
    // 14 MB of candles: a thread with three cores or more, none on two (no faster, and past 300 MB).
    expect(await useFeatureThread([shared], {}, 3)).toBe(true);
    expect(await useFeatureThread([shared], {}, 2)).toBe(false);
    expect(await useFeatureThread([shared], { COINRX_FEATURE_THREAD: '0' }, 8)).toBe(false);
  });
});
