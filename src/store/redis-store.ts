/**
 * The Redis store (ioredis). Keys, all under `coinrx:{botId}:`:
 *   `snapshots:{kind}` — a hash, snapshot id → JSON (position actors, the bot, the portfolio, models)
 *   `events`           — a stream, one entry per decision, order command, order event and fill
 *   `{channel}`        — pub/sub channels (see channels.ts)
 *
 * Writes are queued and sent as one pipeline per microtask (or per `flushIntervalMs`), at most one
 * pipeline in flight; repeated writes of the same snapshot before a flush coalesce to the last one.
 * The caller never waits on Redis and never sees an exception from a write.
 *
 * When Redis is unavailable (not reachable yet, lost mid-run, or refusing writes) the store says so on
 * `health$` (`degraded`, with the reason) and keeps going:
 * - the latest snapshot of every live key is kept in memory (a mirror) and written again when Redis
 *   returns, so Redis ends up with every latest snapshot even if it came back empty;
 * - event-log entries wait in a queue capped at `maxPendingEvents`; past the cap the oldest waiting
 *   entries are dropped and counted (`droppedEvents`), never silently;
 * - the last `retainEvents` acknowledged entries are kept, and entries keep the id the store gave them,
 *   so when Redis comes back without the data (a restart without persistence) the lost tail of the log
 *   is written again with the same ids: no duplicates, no gaps within that window;
 * - pub/sub messages are live views, not records: while Redis is away they are dropped and counted.
 * ioredis reconnects with a bounded exponential backoff (`retryStrategy`, never giving up); on every
 * reconnect the store resyncs (compares the stream's last id, rewrites lost entries and every snapshot)
 * before reporting `ok` again.
 */
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Logger } from '../log.js';
import { channelKey, KEY_PREFIX, parseChannelKey, SCHEMA_VERSION, type ChannelName, type ChannelPayload } from './channels.js';
import { compareEventIds, EventIdGenerator } from './event-id.js';
import { redactSecrets, redactUrl } from './redact-url.js';
import {
  DEFAULT_EVENT_LOG_MAX_LEN,
  LOG_EVENT_TYPES,
  type EventLogLimits,
  type LogEntry,
  type LoggedEvent,
  type LogEventType,
  type ReceivedMessage,
  type SnapshotKind,
  type Store,
  type StoreHealth,
  type StoreSubscription,
  type SubscribeOptions,
} from './store.js';

/** ioredis loads with the first Redis store: a run without REDIS_URL never pays for it. */
const ioredis = (): typeof import('ioredis') => createRequire(import.meta.url)('ioredis') as typeof import('ioredis');

export interface RedisStoreOptions {
  readonly botId: string;
  /** `redis://[user:password@]host:port[/db]`. Never logged with its password. */
  readonly url: string;
  readonly eventLog?: EventLogLimits;
  /** 0 (default): one pipeline per microtask; more: at most one pipeline per this many ms. */
  readonly flushIntervalMs?: number;
  /** Most commands in one pipeline (default 2000). */
  readonly maxBatch?: number;
  /** Cap on event-log entries waiting for Redis (default 100 000); past it the oldest waiting are dropped. */
  readonly maxPendingEvents?: number;
  /** Acknowledged entries kept to rewrite the log if Redis comes back empty (default 10 000). */
  readonly retainEvents?: number;
  /** Reconnect backoff bounds (default 50 ms doubling up to 2 s). */
  readonly reconnect?: { readonly minMs?: number; readonly maxMs?: number };
  /** The store republishes its health on the health channel this often, as a heartbeat for monitors (default 30 s; 0: only on changes). */
  readonly healthIntervalMs?: number;
  /** A reader (`coinrx status`): publishes nothing, not even its health, so no monitor sees a bot that is not running. */
  readonly readOnly?: boolean;
  /** How long `loadSnapshots`/`readEvents` wait for Redis before rejecting (default 10 s). */
  readonly readTimeoutMs?: number;
  readonly logger?: Logger;
  /** Wall clock of event ids and age trimming (tests). */
  readonly now?: () => number;
}

type SendState = 'new' | 'sent' | 'rejected';

interface PendingEvent {
  id: string;
  readonly type: LogEventType;
  readonly ts: string;
  readonly json: string;
  /** new: never sent; sent: outcome unknown (connection lost); rejected: Redis answered with an error. */
  state: SendState;
}

interface Batch {
  readonly snapshots: Map<SnapshotKind, Map<string, string | null>>;
  readonly snapGen: number;
  readonly events: PendingEvent[];
  readonly messages: [string, string][];
}

interface Listener {
  readonly options: SubscribeOptions;
  readonly keys: readonly string[];
  readonly pattern: boolean;
  readonly handler: (message: ReceivedMessage) => void;
}

interface Waiter {
  readonly eventId: string | undefined;
  readonly snapGen: number;
  /** Pub/sub messages queued before the flush: done once that many were sent (or counted as dropped). */
  readonly messageSeq: number;
  readonly resolve: (ok: boolean) => void;
}

const noop = (): void => {};

/** A FIFO over an array with a moving head: O(1) push and shift, compacted now and then. */
class Queue<T> {
  items: T[] = [];
  head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head++] = undefined as T;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n);
    for (let i = 0; i < out.length; i++) this.shift();
    return out;
  }
  toArray(): T[] {
    return this.items.slice(this.head);
  }
  replace(items: T[]): void {
    this.items = items;
    this.head = 0;
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}

export class RedisStore implements Store {
  readonly backend = 'redis' as const;
  readonly botId: string;
  readonly #url: string;
  readonly #client: Redis;
  #subscriber: Redis | undefined;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #ids: EventIdGenerator;
  readonly #limits: EventLogLimits;
  readonly #flushIntervalMs: number;
  readonly #maxBatch: number;
  readonly #maxPending: number;
  readonly #retainMax: number;
  readonly #readTimeoutMs: number;
  readonly #backoff: { minMs: number; maxMs: number };
  readonly #eventsKey: string;

  /** Latest JSON of every live snapshot key. */
  readonly #mirror = new Map<SnapshotKind, Map<string, string>>();
  /** Snapshot writes not yet sent: JSON, or null for a delete. */
  #dirty = new Map<SnapshotKind, Map<string, string | null>>();
  #snapGen = 0;
  #snapAcked = 0;
  readonly #pending = new Queue<PendingEvent>();
  readonly #retained = new Queue<PendingEvent>();
  /** Greatest id evicted from the retained window (acknowledged, no longer kept here). */
  #evictedId: string | undefined;
  #lastAppended: string | undefined;
  #messages: [string, string][] = [];
  /** Messages queued so far, and how many of them Redis answered for (sent or counted dropped). */
  #messageSeq = 0;
  #messagesSettled = 0;
  #inFlight: Batch | undefined;
  #scheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  readonly #readOnly: boolean;
  #retryDelay = 0;
  #waiters: Waiter[] = [];

  #connecting = false;
  #resyncing = false;
  /** Connected and resynced: writes go out. */
  #ready = false;
  #everReady = false;
  #downSince: number | undefined;
  #lastError = '';
  #overflow = false;
  /** What the next `ok` says (set by a resync that cannot report ok yet). */
  #okReason: string | undefined;
  /** Resynced, but no write has succeeded yet: stay degraded until one does (no ok/degraded flapping). */
  #unconfirmed = false;
  #droppedEvents = 0;
  #droppedMessages = 0;
  #closed = false;
  readonly #health: BehaviorSubject<StoreHealth>;
  readonly #listeners = new Set<Listener>();
  readonly #subscribed = new Map<string, number>();

  constructor(options: RedisStoreOptions) {
    this.botId = options.botId;
    this.#url = options.url;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#ids = new EventIdGenerator(this.#now);
    this.#limits = options.eventLog?.maxLen === undefined && options.eventLog?.maxAgeMs === undefined ? { maxLen: DEFAULT_EVENT_LOG_MAX_LEN } : (options.eventLog ?? {});
    this.#flushIntervalMs = options.flushIntervalMs ?? 0;
    this.#maxBatch = options.maxBatch ?? 2000;
    this.#maxPending = options.maxPendingEvents ?? 100_000;
    this.#retainMax = options.retainEvents ?? 10_000;
    this.#readTimeoutMs = options.readTimeoutMs ?? 10_000;
    this.#backoff = { minMs: options.reconnect?.minMs ?? 50, maxMs: options.reconnect?.maxMs ?? 2000 };
    this.#eventsKey = `${KEY_PREFIX}:${this.botId}:events`;
    this.#health = new BehaviorSubject<StoreHealth>(this.#healthValue('degraded', `not connected yet to ${redactUrl(this.#url)}`));
    this.#client = new (ioredis().Redis)(this.#url, this.#redisOptions({ enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false }));
    this.#client.on('ready', () => this.#onReady());
    this.#client.on('error', (error: unknown) => this.#onError(error));
    this.#client.on('close', () => this.#onClose());
    this.#readOnly = options.readOnly === true;
    const every = this.#readOnly ? 0 : (options.healthIntervalMs ?? 30_000);
    if (every > 0) {
      this.#heartbeat = setInterval(() => {
        if (this.#ready) this.#publishHealth(this.health);
      }, every);
      this.#heartbeat.unref();
    }
  }

  #redisOptions(extra: Partial<RedisOptions>): RedisOptions {
    const { minMs, maxMs } = this.#backoff;
    return {
      lazyConnect: true,
      connectionName: `coinrx:${this.botId}`,
      // Bounded exponential backoff, never giving up: the store must come back by itself.
      retryStrategy: (times: number) => Math.min(minMs * 2 ** Math.min(times - 1, 20), maxMs),
      ...extra,
    };
  }

  /** The last reported health with the counters as of now. */
  get health(): StoreHealth {
    return { ...this.#health.value, pendingEvents: this.#pending.length + (this.#inFlight?.events.length ?? 0), droppedEvents: this.#droppedEvents, droppedMessages: this.#droppedMessages };
  }

  get health$(): Observable<StoreHealth> {
    return this.#health.asObservable();
  }

  // ---- writes (never block, never throw) ----

  putSnapshot(kind: SnapshotKind, id: string, json: string): void {
    if (this.#closed) return;
    let live = this.#mirror.get(kind);
    if (!live) this.#mirror.set(kind, (live = new Map()));
    live.set(id, json);
    this.#markDirty(kind, id, json);
  }

  deleteSnapshot(kind: SnapshotKind, id: string): void {
    if (this.#closed) return;
    this.#mirror.get(kind)?.delete(id);
    this.#markDirty(kind, id, null);
  }

  #markDirty(kind: SnapshotKind, id: string, json: string | null): void {
    let dirty = this.#dirty.get(kind);
    if (!dirty) this.#dirty.set(kind, (dirty = new Map()));
    dirty.set(id, json);
    this.#snapGen++;
    this.#schedule();
  }

  appendEvent(entry: LogEntry): string {
    const id = this.#ids.next();
    if (this.#closed) return id;
    this.#pending.push({ id, type: entry.type, ts: String(entry.ts), json: JSON.stringify(entry.data ?? null), state: 'new' });
    this.#lastAppended = id;
    if (this.#pending.length + (this.#inFlight?.events.length ?? 0) > this.#maxPending) {
      this.#pending.shift();
      this.#droppedEvents++;
      if (!this.#overflow) {
        this.#overflow = true;
        this.#logger?.error({ cap: this.#maxPending }, 'store: event buffer full, dropping the oldest unwritten event-log entries');
        this.#updateHealth();
      }
    }
    this.#schedule();
    return id;
  }

  publish<C extends ChannelName>(channel: C, message: ChannelPayload<C>): void {
    if (this.#closed) return;
    if (!this.#ready) {
      this.#droppedMessages++;
      this.#ensureConnecting();
      return;
    }
    this.#messages.push([channelKey(this.botId, channel), JSON.stringify({ v: SCHEMA_VERSION, bot: this.botId, ...message })]);
    this.#messageSeq++;
    this.#schedule();
  }

  // ---- flushing ----

  #schedule(): void {
    this.#ensureConnecting();
    if (!this.#ready || this.#inFlight || this.#retryTimer) return;
    if (this.#queued() >= this.#maxBatch) {
      this.#flushNow();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#flushIntervalMs > 0) this.#timer = setTimeout(() => this.#flushNow(), this.#flushIntervalMs);
    else queueMicrotask(() => this.#flushNow());
  }

  #queued(): number {
    return this.#pending.length + this.#messages.length + this.#dirtyCount();
  }

  #dirtyCount(): number {
    let n = 0;
    for (const m of this.#dirty.values()) n += m.size;
    return n;
  }

  #flushNow(): void {
    this.#scheduled = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#ready || this.#inFlight || this.#retryTimer) return;
    const events = this.#pending.take(this.#maxBatch);
    const messages = this.#messages.splice(0, Math.max(0, this.#maxBatch - events.length));
    const snapshots = this.#dirty;
    this.#dirty = new Map();
    const batch: Batch = { snapshots, snapGen: this.#snapGen, events, messages };
    if (events.length === 0 && messages.length === 0 && snapshots.size === 0) {
      this.#snapAcked = batch.snapGen;
      if (this.#unconfirmed) {
        this.#unconfirmed = false;
        this.#updateHealth();
      }
      this.#notifyWaiters();
      return;
    }
    this.#inFlight = batch;
    const pipeline = this.#client.pipeline();
    const order: ('snap' | 'event' | 'trim' | 'message')[] = [];
    for (const [kind, writes] of snapshots) {
      const key = this.#snapshotKey(kind);
      const sets: Record<string, string> = {};
      const deletes: string[] = [];
      for (const [id, json] of writes) {
        if (json === null) deletes.push(id);
        else sets[id] = json;
      }
      if (deletes.length > 0) pipeline.hdel(key, ...deletes), order.push('snap');
      if (Object.keys(sets).length > 0) pipeline.hset(key, sets), order.push('snap');
    }
    const { maxLen, maxAgeMs } = this.#limits;
    for (const e of events) {
      e.state = 'sent';
      if (maxLen !== undefined) pipeline.xadd(this.#eventsKey, 'MAXLEN', '~', String(maxLen), e.id, 't', e.type, 'ts', e.ts, 'd', e.json);
      else pipeline.xadd(this.#eventsKey, e.id, 't', e.type, 'ts', e.ts, 'd', e.json);
      order.push('event');
    }
    if (maxAgeMs !== undefined && events.length > 0) pipeline.xtrim(this.#eventsKey, 'MINID', '~', String(Math.max(0, this.#now() - maxAgeMs))), order.push('trim');
    for (const [channel, json] of messages) pipeline.publish(channel, json), order.push('message');
    pipeline.exec().then(
      (results) => this.#settle(batch, order, (results ?? []).map(([error]) => error)),
      (error: unknown) => this.#settle(batch, order, order.map(() => (error instanceof Error ? error : new Error(String(error))))),
    );
  }

  #settle(batch: Batch, order: readonly string[], errors: readonly (Error | null)[]): void {
    this.#inFlight = undefined;
    let snapFailed = false;
    let firstError: Error | undefined;
    let eventIndex = 0;
    const failedEvents: PendingEvent[] = [];
    for (let i = 0; i < order.length; i++) {
      const error = errors[i] ?? (i >= errors.length ? new Error('no reply') : null);
      if (error) firstError ??= error;
      switch (order[i]) {
        case 'snap':
          if (error) snapFailed = true;
          break;
        case 'event': {
          const e = batch.events[eventIndex++] as PendingEvent;
          if (!error) this.#retain(e);
          else {
            if (error.name === 'ReplyError') e.state = 'rejected';
            failedEvents.push(e);
          }
          break;
        }
        case 'message':
          this.#messagesSettled++;
          if (error) this.#droppedMessages++;
          break;
        default:
          break;
      }
    }
    if (snapFailed) {
      // Put the batch's writes back unless a newer write of the same key is already queued.
      for (const [kind, writes] of batch.snapshots) {
        let dirty = this.#dirty.get(kind);
        if (!dirty) this.#dirty.set(kind, (dirty = new Map()));
        for (const [id, json] of writes) if (!dirty.has(id)) dirty.set(id, json);
      }
    } else if (batch.snapGen > this.#snapAcked) {
      this.#snapAcked = batch.snapGen;
    }
    if (failedEvents.length > 0) this.#pending.replace([...failedEvents, ...this.#pending.toArray()]);
    if (firstError) {
      this.#goDown(firstError);
      // Connection errors are handled by the 'ready' that follows the reconnect; a refused write
      // (e.g. OOM) while still connected is retried by a resync after a backoff.
      if (this.#client.status === 'ready') this.#retryLater();
    } else {
      this.#retryDelay = 0;
      this.#unconfirmed = false;
      if (this.#overflow && this.#pending.length < this.#maxPending / 2) this.#overflow = false;
      this.#updateHealth();
    }
    this.#notifyWaiters();
    if (this.#ready && this.#queued() > 0) this.#schedule();
  }

  #retain(e: PendingEvent): void {
    this.#retained.push(e);
    while (this.#retained.length > this.#retainMax) this.#evictedId = (this.#retained.shift() as PendingEvent).id;
  }

  #retryLater(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryDelay = Math.min(Math.max(this.#backoff.minMs, this.#retryDelay * 2), this.#backoff.maxMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#client.status === 'ready') void this.#resync();
    }, this.#retryDelay);
  }

  // ---- connection state ----

  #ensureConnecting(): void {
    if (this.#connecting || this.#closed) return;
    this.#connecting = true;
    this.#client.connect().catch(noop);
  }

  #onError(error: unknown): void {
    const text = redactSecrets(errorText(error), this.#url);
    if (text === this.#lastError) return;
    this.#lastError = text;
    if (!this.#ready) this.#updateHealth();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#goDown(this.#lastError === '' ? 'connection closed' : undefined);
  }

  /** Stops writing until the next resync; says why on health$. */
  #goDown(error: unknown): void {
    if (error !== undefined) this.#lastError = redactSecrets(errorText(error), this.#url);
    if (this.#ready) {
      this.#downSince = this.#now();
      this.#logger?.warn({ redis: redactUrl(this.#url), reason: this.#lastError }, 'store: redis writes failing; writes are queued');
    }
    this.#ready = false;
    this.#unconfirmed = false;
    this.#updateHealth();
  }

  #onReady(): void {
    if (this.#closed) return;
    void this.#resync();
  }

  /**
   * After a (re)connect or a refused write: find what Redis has, put back what it lost, rewrite every
   * latest snapshot, then resume flushing.
   */
  async #resync(): Promise<void> {
    if (this.#ready || this.#closed || this.#resyncing) return;
    this.#resyncing = true;
    try {
      const last = (await this.#client.xrevrange(this.#eventsKey, '+', '-', 'COUNT', 1)) as [string, string[]][];
      const serverLast = last[0]?.[0];
      if (this.#inFlight) return; // a settle will follow and retry
      let lostAcked = 0;
      let evictedLost = false;
      const rewrite: PendingEvent[] = [];
      const kept: PendingEvent[] = [];
      for (const e of this.#retained.toArray()) {
        if (serverLast === undefined || compareEventIds(e.id, serverLast) > 0) rewrite.push(e), lostAcked++;
        else kept.push(e);
      }
      this.#retained.replace(kept);
      if (this.#evictedId !== undefined && (serverLast === undefined || compareEventIds(this.#evictedId, serverLast) > 0)) evictedLost = true;
      // Waiting entries Redis already has (sent before the connection dropped, reply lost) are done;
      // ones it never took and that now sort before its last id get new, later ids.
      let floor = serverLast;
      const waiting: PendingEvent[] = [];
      for (const e of this.#pending.toArray()) {
        if (serverLast !== undefined && compareEventIds(e.id, serverLast) <= 0 && e.state === 'sent') {
          this.#retain(e);
          continue;
        }
        waiting.push(e);
        if (e.state === 'sent' && (floor === undefined || compareEventIds(e.id, floor) > 0)) floor = e.id;
      }
      if (floor !== undefined) {
        this.#ids.raiseFloor(floor);
        if (waiting.some((e) => e.state !== 'sent' && compareEventIds(e.id, floor as string) <= 0)) {
          for (const e of waiting) if (e.state !== 'sent') e.id = this.#ids.next();
        }
      }
      for (const e of waiting) if (e.state === 'rejected') e.state = 'new';
      this.#pending.replace([...rewrite, ...waiting]);
      // Every live snapshot again (Redis may have come back empty); queued deletes stay queued.
      let snapshots = 0;
      for (const [kind, live] of this.#mirror) {
        let dirty = this.#dirty.get(kind);
        if (!dirty) this.#dirty.set(kind, (dirty = new Map()));
        for (const [id, json] of live) if (!dirty.has(id)) dirty.set(id, json), snapshots++;
      }
      const downMs = this.#downSince === undefined ? 0 : this.#now() - this.#downSince;
      const first = !this.#everReady;
      this.#everReady = true;
      this.#downSince = undefined;
      this.#lastError = '';
      this.#ready = true;
      const parts = [first ? `connected to ${redactUrl(this.#url)}` : `resynced after ${(downMs / 1000).toFixed(1)} s without redis`];
      if (!first) parts.push(`${snapshots} snapshots rewritten`, `${lostAcked} log entries rewritten`, `${this.#pending.length} log entries queued`);
      if (evictedLost) parts.push(`redis lost log entries older than the ${this.#retainMax} kept for resync`);
      if (this.#droppedEvents > 0) parts.push(`${this.#droppedEvents} log entries dropped (buffer cap ${this.#maxPending})`);
      if (this.#droppedMessages > 0) parts.push(`${this.#droppedMessages} pub/sub messages not delivered`);
      const reason = parts.join('; ');
      if (first) this.#logger?.info({ redis: redactUrl(this.#url) }, 'store: redis connected');
      else this.#logger?.warn({ redis: redactUrl(this.#url), downMs, rewritten: lostAcked, snapshots }, 'store: redis back, resynced');
      this.#okReason = reason;
      this.#unconfirmed = true;
      this.#flushNow();
    } catch (error) {
      this.#lastError = redactSecrets(errorText(error), this.#url);
      this.#updateHealth();
      if (this.#client.status === 'ready') this.#retryLater();
    } finally {
      this.#resyncing = false;
    }
  }

  #healthValue(status: StoreHealth['status'], reason: string): StoreHealth {
    return {
      status,
      reason,
      ts: this.#now(),
      pendingEvents: (this.#pending?.length ?? 0) + (this.#inFlight?.events.length ?? 0),
      droppedEvents: this.#droppedEvents ?? 0,
      droppedMessages: this.#droppedMessages ?? 0,
    };
  }

  #updateHealth(okReason?: string): void {
    if (this.#closed) return;
    let status: StoreHealth['status'];
    let reason: string;
    if (this.#ready && this.#unconfirmed) {
      return; // the resync's first write decides
    } else if (!this.#ready) {
      status = 'degraded';
      const what = this.#everReady ? 'redis unavailable' : 'redis not connected yet';
      reason = `${what} (${redactUrl(this.#url)}): ${this.#lastError || 'connecting'}; snapshots kept in memory, log entries queued (cap ${this.#maxPending})`;
      if (this.#overflow) reason += '; queue full: oldest log entries being dropped';
    } else if (this.#overflow) {
      status = 'degraded';
      reason = `event buffer full (cap ${this.#maxPending}): oldest unwritten log entries dropped`;
    } else {
      status = 'ok';
      reason = okReason ?? this.#okReason ?? (this.#health.value.status === 'ok' ? this.#health.value.reason : 'redis writable again');
      this.#okReason = undefined;
    }
    const current = this.#health.value;
    if (current.status === status && current.reason === reason) return;
    const next = this.#healthValue(status, reason);
    this.#health.next(next);
    if (status === 'degraded') this.#logger?.warn({ reason }, 'store: degraded');
    if (this.#ready) this.#publishHealth(next);
  }

  #publishHealth(h: StoreHealth): void {
    if (this.#readOnly) return;
    const message = { v: SCHEMA_VERSION, bot: this.botId, ts: this.#now(), component: 'store', status: h.status, reason: h.reason, pendingEvents: h.pendingEvents, droppedEvents: h.droppedEvents, droppedMessages: h.droppedMessages };
    this.#messages.push([channelKey(this.botId, 'health'), JSON.stringify(message)]);
    this.#messageSeq++;
    this.#schedule();
  }

  // ---- reads ----

  async #whenReady(): Promise<void> {
    this.#ensureConnecting();
    if (this.#ready) return;
    if (this.#closed) throw new Error('store closed');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new Error(`redis unavailable (${redactUrl(this.#url)}): ${this.#lastError || 'no connection'} after ${this.#readTimeoutMs} ms`));
      }, this.#readTimeoutMs);
      const sub = this.#health.subscribe({
        next: (h) => {
          if (h.status === 'ok' || this.#ready) {
            clearTimeout(timer);
            queueMicrotask(() => sub.unsubscribe());
            resolve();
          }
        },
        complete: () => {
          clearTimeout(timer);
          reject(new Error('store closed'));
        },
      });
    });
  }

  async loadSnapshots(kind: SnapshotKind): Promise<Map<string, string>> {
    await this.#whenReady();
    const stored = await this.#client.hgetall(this.#snapshotKey(kind));
    // Snapshots written in an earlier run join the mirror, so a later resync rewrites them too.
    let live = this.#mirror.get(kind);
    if (!live) this.#mirror.set(kind, (live = new Map()));
    const dirty = this.#dirty.get(kind);
    const inFlight = this.#inFlight?.snapshots.get(kind);
    for (const [id, json] of Object.entries(stored)) {
      if (dirty?.has(id) || inFlight?.has(id) || live.has(id)) continue;
      live.set(id, json);
    }
    return new Map(live);
  }

  async readEvents(from?: string, count = 1000): Promise<LoggedEvent[]> {
    await this.#whenReady();
    const start = from === undefined ? '-' : `(${from}`;
    const rows = (await this.#client.xrange(this.#eventsKey, start, '+', 'COUNT', count)) as [string, string[]][];
    return rows.map(([id, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
      const type = (LOG_EVENT_TYPES as readonly string[]).includes(f['t'] ?? '') ? (f['t'] as LogEventType) : 'order.event';
      let data: unknown = null;
      try {
        data = JSON.parse(f['d'] ?? 'null');
      } catch {
        data = f['d'];
      }
      return { id, type, ts: Number(f['ts']), data };
    });
  }

  #snapshotKey(kind: SnapshotKind): string {
    return `${KEY_PREFIX}:${this.botId}:snapshots:${kind}`;
  }

  // ---- flush / close ----

  flush(timeoutMs = 5000): Promise<boolean> {
    this.#ensureConnecting();
    const waiter = { eventId: this.#lastAppended, snapGen: this.#snapGen, messageSeq: this.#messageSeq };
    if (this.#isDone(waiter)) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    if (this.#ready && !this.#inFlight) this.#flushNow();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== entry);
        resolve(false);
      }, timeoutMs);
      const entry: Waiter = {
        ...waiter,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      this.#waiters.push(entry);
    });
  }

  #isDone(w: { eventId: string | undefined; snapGen: number; messageSeq: number }): boolean {
    if (this.#snapAcked < w.snapGen) return false;
    if (this.#messagesSettled < w.messageSeq) return false;
    if (w.eventId === undefined) return true;
    const first = this.#inFlight?.events[0] ?? this.#pending.peek();
    return first === undefined || compareEventIds(first.id, w.eventId) > 0;
  }

  #notifyWaiters(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (this.#isDone(w)) w.resolve(true);
      else still.push(w);
    }
    this.#waiters = still;
  }

  async close(timeoutMs = 5000): Promise<void> {
    if (this.#closed) return;
    const written = this.#connecting ? await this.flush(timeoutMs) : true;
    const unwritten = this.#pending.length + (this.#inFlight?.events.length ?? 0);
    // Messages not sent by now never will be: counted, never dropped silently.
    const unsent = this.#messageSeq - this.#messagesSettled;
    this.#droppedMessages += unsent;
    this.#messagesSettled = this.#messageSeq;
    if (!written || unwritten > 0 || unsent > 0) {
      const reason = `closed with ${unwritten} log entries, ${this.#dirtyCount()} snapshot writes and ${unsent} pub/sub messages not written to redis`;
      this.#health.next(this.#healthValue('degraded', reason));
      this.#logger?.error({ unwritten }, `store: ${reason}`);
    }
    this.#closed = true;
    this.#ready = false;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    for (const w of this.#waiters) w.resolve(false);
    this.#waiters = [];
    this.#listeners.clear();
    await Promise.all([quit(this.#client), this.#subscriber ? quit(this.#subscriber) : Promise.resolve()]);
    this.#health.complete();
  }

  // ---- pub/sub ----

  async subscribe(options: SubscribeOptions, handler: (message: ReceivedMessage) => void): Promise<StoreSubscription> {
    if (this.#closed) throw new Error('store closed');
    const names = options.channels ?? ['ranking', 'decisions', 'positions', 'fills', 'stats', 'health'];
    const pattern = options.botId === undefined;
    const keys = names.map((n) => channelKey(options.botId ?? '*', n));
    const listener: Listener = { options, keys, pattern, handler };
    const sub = this.#ensureSubscriber();
    this.#listeners.add(listener);
    const fresh = keys.filter((k) => {
      const n = this.#subscribed.get(k) ?? 0;
      this.#subscribed.set(k, n + 1);
      return n === 0;
    });
    if (fresh.length > 0) {
      if (sub.status === 'wait') await sub.connect().catch(noop);
      if (pattern) await sub.psubscribe(...fresh);
      else await sub.subscribe(...fresh);
    }
    return {
      unsubscribe: async () => {
        if (!this.#listeners.delete(listener)) return;
        const gone = keys.filter((k) => {
          const n = (this.#subscribed.get(k) ?? 1) - 1;
          if (n === 0) this.#subscribed.delete(k);
          else this.#subscribed.set(k, n);
          return n === 0;
        });
        if (gone.length === 0 || this.#closed || sub.status !== 'ready') return;
        await (pattern ? sub.punsubscribe(...gone) : sub.unsubscribe(...gone)).catch(noop);
      },
    };
  }

  #ensureSubscriber(): Redis {
    if (this.#subscriber) return this.#subscriber;
    // Its own connection (a subscribed connection can do nothing else); it waits for Redis and
    // resubscribes by itself after a reconnect.
    const sub = new (ioredis().Redis)(this.#url, this.#redisOptions({ enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true, connectionName: `coinrx:${this.botId}:monitor` }));
    sub.on('error', noop);
    sub.on('message', (channel: string, text: string) => this.#dispatch(channel, text, false, channel));
    sub.on('pmessage', (pattern: string, channel: string, text: string) => this.#dispatch(channel, text, true, pattern));
    this.#subscriber = sub;
    return sub;
  }

  #dispatch(channel: string, text: string, viaPattern: boolean, key: string): void {
    const parsed = parseChannelKey(channel);
    if (!parsed) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      message = text;
    }
    for (const l of this.#listeners) {
      if (l.pattern !== viaPattern || !l.keys.includes(key)) continue;
      try {
        l.handler({ channel, botId: parsed.botId, name: parsed.name, message });
      } catch (error) {
        this.#logger?.error({ err: error }, 'store: subscriber handler threw');
      }
    }
  }
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await Promise.race([client.quit().catch(noop), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
  client.disconnect();
}

