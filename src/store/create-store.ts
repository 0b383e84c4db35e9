/**
 * Picks the store: Redis when a URL is configured (`redis.url`, usually from `REDIS_URL`), else the
 * in-memory store.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import type { EventLogLimits, Store } from './store.js';

export interface CreateStoreOptions extends Omit<RedisStoreOptions, 'url' | 'botId'> {
  readonly botId: string;
  /** Redis URL; empty or absent: the in-memory store. */
  readonly url?: string;
  readonly eventLog?: EventLogLimits;
  readonly logger?: Logger;
}

export function createStore(options: CreateStoreOptions): Store {
  const url = options.url?.trim() ?? '';
  if (url === '') {
    return new MemoryStore({ botId: options.botId, ...(options.eventLog ? { eventLog: options.eventLog } : {}), ...(options.now ? { now: options.now } : {}) });
  }
  return new RedisStore({ ...options, url });
}

/** The store a loaded configuration asks for (`loadConfig` has already applied `REDIS_URL`). */
export function storeFromConfig(config: Config, extra: Omit<CreateStoreOptions, 'botId' | 'url'> = {}): Store {
  const { url, eventLogMaxLen, eventLogMaxAge, maxPendingEvents } = config.redis;
  const eventLog: EventLogLimits = { maxLen: eventLogMaxLen, ...(eventLogMaxAge > 0 ? { maxAgeMs: eventLogMaxAge } : {}) };
  return createStore({ eventLog, maxPendingEvents, ...extra, botId: config.botId, url });
}
