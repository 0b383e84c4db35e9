import type { Config } from '../../config.js';
import type { MarketEvent } from '../../core/index.js';
import type { TimeRange } from '../../core/time-range.js';
// The store's modules by name, not its index: the index loads every store module, and waitHealthy RxJS's
// timers (timeout, the async scheduler: about 50 ms of a backtest's start, before its first batch), which
// only a Redis store waits on.
import { storeFromConfig } from '../../store/create-store.js';
import { redactUrl } from '../../store/redact-url.js';
import type { Store } from '../../store/store.js';
import type { BatchScorer } from '../../../streams/index.js';
import { runBacktest, type BacktestCheckpoint, type BacktestResult, type BacktestRun } from '../backtest.js';
import type { StrategyFactory } from '../kernel.js';

export { NoMarketEventsError, type BacktestCheckpoint, type BacktestResult, type BacktestRun } from '../backtest.js';

/** The configured Redis store did not become writable: the run does not start (its entries would wait). */
export class StoreNotWritableError extends Error {}

/**
 * The store a backtest or demo records to: the configured one (Redis with `redis.url`, else in memory),
 * opened and, for Redis, writable within `waitMs` — new entries wait for a writable store, so a run that
 * started on a silent Redis would begin blocked (and no longer be the same run as without Redis). Throws
 * `StoreNotWritableError` (with Redis's reason) after closing it.
 */
export async function openRunStore(config: Config, waitMs = 10_000): Promise<Store> {
  const store = storeFromConfig(config);
  if (store.backend === 'redis' && !(await (await import('../../store/wait-healthy.js')).waitHealthy(store, waitMs))) {
    const reason = store.health.reason;
    await store.close(1_000);
    throw new StoreNotWritableError(reason);
  }
  return store;
}

/** Where the configured store is, for messages (the password of `redis.url` hidden). */
export function storeLocation(config: Config): string {
  return redactUrl(config.redis.url);
}

/** The store's checkpoint of this bot's unfinished backtest (`--resume`), if any. */
export async function loadBacktestCheckpoint(store: Store): Promise<BacktestCheckpoint | undefined> {
  const json = (await store.loadSnapshots('bot')).get('checkpoint');
  return json === undefined ? undefined : (JSON.parse(json) as BacktestCheckpoint);
}

export interface BacktestNodeOptions {
  readonly config: Config;
  readonly batches: AsyncIterable<readonly MarketEvent[]> | Iterable<readonly MarketEvent[]>;
  /** Checkpoints go to it, a Redis one records the run; new entries wait while it cannot write. */
  readonly store: Store;
  /** Continue from this checkpoint (loadBacktestCheckpoint): its events replay as the kernel's warm-up. */
  readonly resume?: BacktestCheckpoint;
  /** Save a checkpoint to the store this often (events); 0: never. */
  readonly checkpointEvery?: number;
  readonly quote?: string;
  readonly range?: TimeRange;
  readonly signal?: AbortSignal;
  readonly scorer?: BatchScorer;
  readonly strategy?: StrategyFactory;
  readonly onProgress?: (events: number, ts: number) => void;
  /** The run once its kernel exists (a dashboard attaches here). */
  readonly onRun?: (run: BacktestRun) => void;
  /** See BacktestOptions.featureThread. */
  readonly featureThread?: boolean;
}

/**
 * The backtest node (also the demo's): recorded or generated events on the kernel with a simulated venue
 * and event time; checkpoints to the store, and a finished run leaves none behind (a later `--resume`
 * must not continue it).
 */
export async function backtestNode(o: BacktestNodeOptions): Promise<BacktestResult> {
  const { store } = o;
  const every = o.checkpointEvery ?? 0;
  const result = await runBacktest(o.batches, o.config, {
    ...(o.range && (o.range.from !== undefined || o.range.to !== undefined) ? { range: o.range } : {}),
    ...(o.quote ? { quote: o.quote } : {}),
    ...(o.resume ? { resume: o.resume } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.onRun ? { onRun: o.onRun } : {}),
    ...(o.featureThread ? { featureThread: true } : {}),
    extras: { store, ...(o.scorer ? { score: o.scorer } : {}), ...(o.strategy ? { strategy: o.strategy } : {}) },
    ...(every > 0
      ? {
          checkpoint: {
            every,
            save: async (checkpoint: BacktestCheckpoint) => {
              store.putSnapshot('bot', 'checkpoint', JSON.stringify(checkpoint));
              await store.flush();
            },
          },
        }
      : {}),
  });
  if (!o.signal?.aborted) store.deleteSnapshot('bot', 'checkpoint');
  return result;
}
