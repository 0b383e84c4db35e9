/**
 * The in-memory store: the default without `REDIS_URL`, and the reference behaviour the Redis store
 * is tested against. Everything lives in this process; pub/sub reaches subscribers of this instance
 * only (asynchronously, as with Redis). Health is always `ok`.
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import { channelKey, SCHEMA_VERSION, type ChannelName, type ChannelPayload } from './channels.js';
import { compareEventIds, EventIdGenerator, parseEventId } from './event-id.js';
import {
  DEFAULT_EVENT_LOG_MAX_LEN,
  type EventLogLimits,
  type LogEntry,
  type LoggedEvent,
  type ReceivedMessage,
  type SnapshotKind,
  type Store,
  type StoreHealth,
  type StoreSubscription,
  type SubscribeOptions,
} from './store.js';

export interface MemoryStoreOptions {
  readonly botId: string;
  readonly eventLog?: EventLogLimits;
  /** Wall clock of event ids and age trimming (tests). */
  readonly now?: () => number;
}

interface StoredLine {
  readonly id: string;
  readonly ms: number;
  readonly type: LogEntry['type'];
  readonly ts: number;
  readonly json: string;
}

interface Listener {
  readonly options: SubscribeOptions;
  readonly handler: (message: ReceivedMessage) => void;
}

export class MemoryStore implements Store {
  readonly backend = 'memory' as const;
  readonly botId: string;
  readonly #snapshots = new Map<SnapshotKind, Map<string, string>>();
  readonly #log: StoredLine[] = [];
  #head = 0;
  readonly #ids: EventIdGenerator;
  readonly #now: () => number;
  readonly #limits: EventLogLimits;
  readonly #listeners = new Set<Listener>();
  readonly #health: BehaviorSubject<StoreHealth>;
  #closed = false;

  constructor(options: MemoryStoreOptions) {
    this.botId = options.botId;
    this.#now = options.now ?? Date.now;
    this.#ids = new EventIdGenerator(this.#now);
    this.#limits = options.eventLog?.maxLen === undefined && options.eventLog?.maxAgeMs === undefined ? { maxLen: DEFAULT_EVENT_LOG_MAX_LEN } : (options.eventLog ?? {});
    this.#health = new BehaviorSubject<StoreHealth>({ status: 'ok', reason: 'in-memory store', ts: this.#now(), pendingEvents: 0, droppedEvents: 0, droppedMessages: 0 });
  }

  get health(): StoreHealth {
    return this.#health.value;
  }

  get health$(): Observable<StoreHealth> {
    return this.#health.asObservable();
  }

  putSnapshot(kind: SnapshotKind, id: string, json: string): void {
    if (this.#closed) return;
    let byId = this.#snapshots.get(kind);
    if (!byId) this.#snapshots.set(kind, (byId = new Map()));
    byId.set(id, json);
  }

  deleteSnapshot(kind: SnapshotKind, id: string): void {
    if (this.#closed) return;
    this.#snapshots.get(kind)?.delete(id);
  }

  async loadSnapshots(kind: SnapshotKind): Promise<Map<string, string>> {
    return new Map(this.#snapshots.get(kind) ?? []);
  }

  appendEvent(entry: LogEntry): string {
    const id = this.#ids.next();
    if (this.#closed) return id;
    this.#log.push({ id, ms: parseEventId(id).ms, type: entry.type, ts: entry.ts, json: JSON.stringify(entry.data ?? null) });
    this.#trim();
    return id;
  }

  #trim(): void {
    const { maxLen, maxAgeMs } = this.#limits;
    if (maxLen !== undefined && this.#log.length - this.#head > maxLen) this.#head = this.#log.length - maxLen;
    if (maxAgeMs !== undefined) {
      const minMs = this.#now() - maxAgeMs;
      while (this.#head < this.#log.length && (this.#log[this.#head] as StoredLine).ms < minMs) this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#log.length) {
      this.#log.splice(0, this.#head);
      this.#head = 0;
    }
  }

  async readEvents(from?: string, count = 1000): Promise<LoggedEvent[]> {
    let lo = this.#head;
    if (from !== undefined) {
      let hi = this.#log.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareEventIds((this.#log[mid] as StoredLine).id, from) <= 0) lo = mid + 1;
        else hi = mid;
      }
    }
    return this.#log.slice(lo, lo + count).map((l) => ({ id: l.id, type: l.type, ts: l.ts, data: JSON.parse(l.json) as unknown }));
  }

  publish<C extends ChannelName>(channel: C, message: ChannelPayload<C>): void {
    if (this.#closed || this.#listeners.size === 0) return;
    const json = JSON.stringify({ v: SCHEMA_VERSION, bot: this.botId, ...message });
    const key = channelKey(this.botId, channel);
    for (const listener of this.#listeners) {
      const { botId, channels } = listener.options;
      if ((botId !== undefined && botId !== this.botId) || (channels !== undefined && !channels.includes(channel))) continue;
      queueMicrotask(() => {
        if (this.#listeners.has(listener)) listener.handler({ channel: key, botId: this.botId, name: channel, message: JSON.parse(json) as unknown });
      });
    }
  }

  async subscribe(options: SubscribeOptions, handler: (message: ReceivedMessage) => void): Promise<StoreSubscription> {
    const listener: Listener = { options, handler };
    this.#listeners.add(listener);
    return {
      unsubscribe: async () => {
        this.#listeners.delete(listener);
      },
    };
  }

  async flush(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#health.complete();
  }
}
