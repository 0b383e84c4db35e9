/**
 * The store behind the engine: snapshots of actors and portfolio, an append-only event log and pub/sub
 * for monitors. Two implementations with the same behaviour (one contract test suite runs against
 * both): in memory (no `REDIS_URL`) and Redis.
 *
 * Writes never block and never throw: `putSnapshot`, `deleteSnapshot`, `appendEvent` and `publish`
 * queue the write and return at once; the Redis store sends the queue in one pipeline per microtask
 * (or per `flushIntervalMs`). Problems surface on `health$`, not as exceptions in the trading loop.
 */
import type { Observable } from 'rxjs';
import type { ChannelName, ChannelMessages, ChannelPayload } from './channels.js';

/** What a snapshot is of. Keys are namespaced by bot id: `coinrx:{botId}:snapshots:{kind}`. */
/** `fill`: every recorded fill by its id (exactly-once across restarts); `order`: per client id, what the exchange executed and what the bot applied. */
export const SNAPSHOT_KINDS = ['position', 'bot', 'portfolio', 'model', 'fill', 'order'] as const;
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];

/** What the event log records, in order, so a run can be audited and replayed. */
export const LOG_EVENT_TYPES = ['decision', 'order.command', 'order.event', 'fill'] as const;
export type LogEventType = (typeof LOG_EVENT_TYPES)[number];

export interface LogEntry {
  readonly type: LogEventType;
  /** Event time (ms) of what is logged; the entry id carries the wall time of the append. */
  readonly ts: number;
  /** Any JSON-serializable value; serialized when appended. */
  readonly data: unknown;
}

export interface LoggedEvent extends LogEntry {
  /** Redis stream id `ms-seq`, assigned by the store at append time, strictly increasing. */
  readonly id: string;
}

/** How long the event log grows: at most `maxLen` entries and/or entries newer than `maxAgeMs` (Redis trims approximately, `~`). */
export interface EventLogLimits {
  readonly maxLen?: number;
  readonly maxAgeMs?: number;
}

/** Default bound of the event log when neither limit is configured. */
export const DEFAULT_EVENT_LOG_MAX_LEN = 100_000;

export type StoreStatus = 'ok' | 'degraded';

export interface StoreHealth {
  readonly status: StoreStatus;
  /** Why, in words: `connected`, `redis unavailable: connect ECONNREFUSED …`, `resynced after …`. */
  readonly reason: string;
  /** Wall time of the change. */
  readonly ts: number;
  /** Event-log entries not yet acknowledged by Redis. */
  readonly pendingEvents: number;
  /** Event-log entries dropped since start because the buffer cap was reached. */
  readonly droppedEvents: number;
  /** Pub/sub messages not delivered since start (Redis away). */
  readonly droppedMessages: number;
}

/** A message received from a channel. */
export interface ReceivedMessage {
  /** Full channel key `coinrx:{botId}:{name}`. */
  readonly channel: string;
  readonly botId: string;
  readonly name: ChannelName;
  /** The parsed JSON (validate with `parseChannelMessage` before trusting it). */
  readonly message: unknown;
}

export interface SubscribeOptions {
  /** Only this bot's channels; every bot's when absent. */
  readonly botId?: string;
  /** Only these channels; all when absent. */
  readonly channels?: readonly ChannelName[];
}

export interface StoreSubscription {
  unsubscribe(): Promise<void>;
}

export interface Store {
  readonly backend: 'memory' | 'redis';
  readonly botId: string;
  /** The current health; `health$` emits it now and on every change. */
  readonly health: StoreHealth;
  readonly health$: Observable<StoreHealth>;
  /** Replaces the snapshot `kind`/`id`. Writes of the same key before the next flush coalesce to the last. */
  putSnapshot(kind: SnapshotKind, id: string, json: string): void;
  deleteSnapshot(kind: SnapshotKind, id: string): void;
  /** Every snapshot of a kind, id → JSON, including writes not yet flushed. */
  loadSnapshots(kind: SnapshotKind): Promise<Map<string, string>>;
  /** Appends to the event log; returns the entry's id. */
  appendEvent(entry: LogEntry): string;
  /** Entries after `from` (exclusive; from the start when absent), oldest first, at most `count` (default 1000). */
  readEvents(from?: string, count?: number): Promise<LoggedEvent[]>;
  /** Publishes on `coinrx:{botId}:{channel}`; the store adds `v` and `bot`. At most once: never queued while Redis is away. */
  publish<C extends ChannelName>(channel: C, message: ChannelPayload<C>): void;
  /** Resolves once the subscription is active. */
  subscribe(options: SubscribeOptions, handler: (message: ReceivedMessage) => void): Promise<StoreSubscription>;
  /**
   * Resolves true once every write queued before the call is acknowledged, false when that did not
   * happen within `timeoutMs` (default 5 s; Redis unavailable). Never rejects.
   */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Flushes (bounded by `timeoutMs`) and releases connections. Writes after close are ignored. */
  close(timeoutMs?: number): Promise<void>;
}

export type { ChannelMessages, ChannelName, ChannelPayload };
