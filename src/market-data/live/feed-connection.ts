import { BehaviorSubject } from 'rxjs';
import { createActor, type Actor } from 'xstate';
import { connectionMachine, type ConnectionStateName } from '../../../machines/connection-machine.js';
import type { ConnectionStatus } from './market-feed.js';
import { sleep } from '../../net/retry.js';

export interface FeedBackoff {
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly factor?: number;
  readonly jitter?: number;
  readonly maxAttempts?: number;
}

/**
 * A started `connection` machine for a live feed, with the feeds' backoff defaults (500 ms doubling to
 * 30 s, half jittered, never giving up) and the socket effects of the feed; every change of state,
 * attempt or opens count is published on `status`.
 */
export function startConnection(
  actions: { openSocket(): void; closeSocket(): void; subscribe(): void },
  status: BehaviorSubject<ConnectionStatus>,
  backoff: FeedBackoff = {},
  random: () => number = Math.random,
): Actor<typeof connectionMachine> {
  const actor = createActor(
    connectionMachine.provide({ actions: { openSocket: () => actions.openSocket(), closeSocket: () => actions.closeSocket(), subscribe: () => actions.subscribe() } }),
    {
      input: {
        initialDelayMs: backoff.initialDelayMs ?? 500,
        maxDelayMs: backoff.maxDelayMs ?? 30_000,
        factor: backoff.factor ?? 2,
        jitter: backoff.jitter ?? 0.5,
        maxAttempts: backoff.maxAttempts ?? 0,
        random,
      },
    },
  );
  actor.subscribe((snap) => {
    const c = snap.context;
    const next: ConnectionStatus = { state: snap.value as ConnectionStateName, attempt: c.attempt, delayMs: c.delayMs, reason: c.lastReason, opens: c.opens };
    const prev = status.getValue();
    // Not on `connection.live` alone (the attempts reset, the state still open): one line per change of state.
    if (prev.state !== next.state || prev.opens !== next.opens) status.next(next);
  });
  actor.start();
  return actor;
}

/**
 * Reads a feed's market list until it has one (500 ms doubling to 30 s, half jittered) or the feed
 * stops; true when the feed may connect.
 */
export async function loadMarketList(load: () => Promise<void>, ready: () => boolean, signal: AbortSignal, random: () => number = Math.random): Promise<boolean> {
  let delay = 500;
  while (!signal.aborted && !ready()) {
    await load();
    if (ready() || signal.aborted) break;
    try {
      await sleep(delay * (0.5 + 0.5 * random()), signal);
    } catch {
      return false;
    }
    delay = Math.min(delay * 2, 30_000);
  }
  return !signal.aborted;
}

export interface FeedRunOptions {
  /** The feed's socket effects, driven by the connection machine. */
  readonly socket: { openSocket(): void; closeSocket(): void; subscribe(): void };
  readonly status: BehaviorSubject<ConnectionStatus>;
  readonly backoff?: FeedBackoff | undefined;
  readonly random?: (() => number) | undefined;
  /** `beat` (the feed's stall check) runs this often. */
  readonly heartbeatMs: number;
  beat(): void;
  /** Reads the market list; the feed connects once `ready()`. */
  refreshMarkets(): Promise<void>;
  ready(): boolean;
  /** Re-reads the market list this often; undefined when the markets are fixed. */
  readonly marketRefreshMs: number | undefined;
}

/**
 * One run of a live feed, from its first subscriber to its last: the connection machine, the stall
 * heartbeat, the market list read before connecting (retried with backoff) and re-read on a timer, and
 * one abort signal for everything in flight. `boot()` reads the markets and connects (after the feed
 * holds the run, so its first market-list request already carries `signal`); `stop()` ends all of it.
 */
export class FeedRun {
  readonly actor: Actor<typeof connectionMachine>;
  readonly #abort = new AbortController();
  readonly #heartbeat: NodeJS.Timeout;
  #refresh: NodeJS.Timeout | undefined;
  readonly #options: FeedRunOptions;

  constructor(options: FeedRunOptions) {
    this.actor = startConnection(options.socket, options.status, options.backoff, options.random);
    this.#heartbeat = setInterval(() => options.beat(), options.heartbeatMs);
    this.#heartbeat.unref();
    this.#options = options;
  }

  /** Aborted when the run stops. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Reads the market list (retrying with backoff until it works or the run stops), then connects. */
  async boot(): Promise<void> {
    const options = this.#options;
    if (!(await loadMarketList(() => options.refreshMarkets(), () => options.ready(), this.#abort.signal, options.random))) return;
    this.actor.send({ type: 'connection.start' });
    const every = options.marketRefreshMs;
    if (every !== undefined) {
      this.#refresh = setInterval(() => void options.refreshMarkets(), every);
      this.#refresh.unref();
    }
  }

  stop(): void {
    this.#abort.abort();
    clearInterval(this.#heartbeat);
    if (this.#refresh) clearInterval(this.#refresh);
    this.actor.send({ type: 'connection.stop' });
    this.actor.stop();
  }
}
