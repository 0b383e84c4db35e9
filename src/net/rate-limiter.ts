import { backoffDelay } from '../../machines/connection-machine.js';
import { sleep } from './retry.js';

/**
 * An exchange's REST request budget, kept from the answers themselves (on top of ccxt's own throttle):
 *
 * - Upbit's answers carry `Remaining-Req: group=<g>; min=<m>; sec=<s>`: with `sec=0` the group's next
 *   request waits for the next second (other exchanges send no such header; this part stays idle);
 * - a 429 pauses every request with exponential backoff (and jitter) that grows with consecutive 429s
 *   and resets on the next success;
 * - a 418 means the exchange (Upbit, Binance) has banned the client for a while: no request goes out until the ban is over
 *   (`Retry-After` when given, else the seconds named in the message, else `banMs`); callers get
 *   `ExchangeBannedError` immediately instead of walking further into the ban.
 */
export class ExchangeBannedError extends Error {
  constructor(readonly until: number) {
    super(`the exchange answered 418 (banned): requests are blocked until ${new Date(until).toISOString()}`);
    this.name = 'ExchangeBannedError';
  }
}

export interface RateLimiterOptions {
  /** First pause after a 429 (default 250 ms), doubling per consecutive 429 up to `maxBackoffMs` (default 10 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Ban length when a 418 names none (default 5 min). */
  readonly banMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface RateLimiterStats {
  /** Requests that had to wait (each counted once, however many sleeps its wait took). */
  readonly throttledWaits: number;
  readonly tooManyRequests: number;
  readonly bans: number;
}

/** Upbit's rate-limit group of a REST request. */
export function upbitRequestGroup(method: string, url: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0] ?? '';
  if (path.startsWith('/v1/market')) return 'market';
  if (path.startsWith('/v1/candles')) return 'candles';
  if (path.startsWith('/v1/ticker')) return 'ticker';
  if (path.startsWith('/v1/orderbook')) return 'orderbook';
  if (path.startsWith('/v1/trades')) return 'trade';
  if (method.toUpperCase() === 'POST' && path === '/v1/orders') return 'order';
  if (method.toUpperCase() === 'DELETE' && path === '/v1/orders/open') return 'order-cancel-all';
  return 'default';
}

/** `group=default; min=1800; sec=29` → { group, sec }. */
export function parseRemainingReq(value: string | undefined): { group: string; sec: number } | undefined {
  if (!value) return undefined;
  const fields = new Map(value.split(';').map((p) => p.trim().split('=') as [string, string]));
  const group = fields.get('group');
  const sec = Number(fields.get('sec'));
  return group !== undefined && Number.isFinite(sec) ? { group, sec } : undefined;
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return Array.isArray(v) ? String(v[0]) : String(v);
  return undefined;
}

/** An HTTP Retry-After (seconds, or a date) as ms from `now`; 0 when absent or unreadable. */
function retryAfterMs(value: string | undefined, now: number): number {
  if (value === undefined || value.trim() === '') return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : 0;
}

export class RestRateLimiter {
  readonly #options: Required<Omit<RateLimiterOptions, 'now' | 'random'>>;
  readonly #now: () => number;
  readonly #random: () => number;
  /** group → remaining requests in the second that ends at `resetAt` */
  readonly #groups = new Map<string, { remaining: number; resetAt: number }>();
  #pauseUntil = 0;
  #consecutive429 = 0;
  #bannedUntil = 0;
  readonly #stats = { throttledWaits: 0, tooManyRequests: 0, bans: 0 };

  constructor(options: RateLimiterOptions = {}) {
    this.#options = { initialBackoffMs: options.initialBackoffMs ?? 250, maxBackoffMs: options.maxBackoffMs ?? 10_000, banMs: options.banMs ?? 300_000 };
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  stats(): RateLimiterStats {
    return { ...this.#stats };
  }

  /** Epoch ms until which every request waits after a 429 (0 when none does). */
  get pausedUntil(): number {
    return this.#pauseUntil > this.#now() ? this.#pauseUntil : 0;
  }

  /** Epoch ms until which Upbit's 418 ban lasts (0 when not banned). */
  get bannedUntil(): number {
    return this.#bannedUntil > this.#now() ? this.#bannedUntil : 0;
  }

  /** Waits until a request of `group` may go out. Throws `ExchangeBannedError` while banned. */
  async acquire(group: string, signal?: AbortSignal): Promise<void> {
    let waited = false;
    for (let i = 0; i < 100; i++) {
      const now = this.#now();
      if (this.#bannedUntil > now) throw new ExchangeBannedError(this.#bannedUntil);
      let waitUntil = this.#pauseUntil;
      const g = this.#groups.get(group);
      if (g && g.resetAt <= now) this.#groups.delete(group);
      else if (g && g.remaining <= 0) waitUntil = Math.max(waitUntil, g.resetAt);
      if (waitUntil <= now) {
        if (g && g.resetAt > now) g.remaining--;
        return;
      }
      // A timer may fire a millisecond before the wall clock reaches its end: the loop then sleeps again, the
      // same wait.
      if (!waited) this.#stats.throttledWaits++;
      waited = true;
      await sleep(waitUntil - now, signal);
    }
  }

  /** Learns from one HTTP answer (status and headers). */
  observe(status: number, headers: Record<string, unknown> | undefined, body?: string): void {
    const now = this.#now();
    const rr = parseRemainingReq(header(headers, 'Remaining-Req'));
    if (rr) this.#groups.set(rr.group, { remaining: rr.sec, resetAt: (Math.floor(now / 1000) + 1) * 1000 });
    if (status === 429) {
      this.#stats.tooManyRequests++;
      this.#consecutive429++;
      const delay = backoffDelay({ initialDelayMs: this.#options.initialBackoffMs, maxDelayMs: this.#options.maxBackoffMs, factor: 2, jitter: 0.5 }, this.#consecutive429, this.#random);
      // The exchange's own wait when it names one (Binance bans an IP that keeps asking: the 418 below).
      this.#pauseUntil = Math.max(this.#pauseUntil, now + delay, now + retryAfterMs(header(headers, 'Retry-After'), now));
    } else if (status === 418) {
      this.#stats.bans++;
      const retryAfter = Number(header(headers, 'Retry-After'));
      const named = /(\d+)\s*(?:seconds?|sec|초)/i.exec(body ?? '');
      const ms = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : named ? Number(named[1]) * 1000 : this.#options.banMs;
      this.#bannedUntil = Math.max(this.#bannedUntil, now + ms);
    } else if (status >= 200 && status < 400) this.#consecutive429 = 0;
  }
}
