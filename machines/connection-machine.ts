import { assign, setup } from 'xstate';

/**
 * Lifecycle of one websocket connection: stopped → connecting → open ⇄ backoff → connecting …
 *
 * The machine holds no I/O. Its effects are actions the owner supplies with `.provide({ actions })`:
 * `openSocket` (start connecting), `closeSocket` (tear the socket down, idempotent), `subscribe`
 * (send the subscription on a fresh socket) and `report` (publish the state). Backoff waits are
 * XState delays, so a test can drive them with a simulated clock.
 *
 * Backoff: `min(maxDelayMs, initialDelayMs × factor^(attempt-1))`, then "full jitter" scaled by
 * `jitter` (0 = none, 1 = anywhere in [0, delay]) from the injected `random`. After `maxAttempts`
 * failed attempts in a row (0 = unlimited) the machine goes to `failed` and waits for `connection.start`.
 * An attempt succeeds when data flows (`connection.live`), not when the socket opens: a server that
 * accepts the socket and refuses the subscription (Upbit's error frame) is retried with a growing delay,
 * not at the first delay again after every open.
 */
export interface ConnectionInput {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  /** Fraction of the delay that is randomised, 0…1. */
  readonly jitter: number;
  /** Consecutive failed attempts before giving up; 0 = never give up. */
  readonly maxAttempts: number;
  /** Uniform [0, 1) source for jitter; injected so tests are deterministic. */
  readonly random: () => number;
}

export type ConnectionEvent =
  | { readonly type: 'connection.start' }
  | { readonly type: 'connection.stop' }
  /** The socket is open. */
  | { readonly type: 'connection.opened' }
  /** The socket closed or failed to open. */
  | { readonly type: 'connection.closed'; readonly reason: string }
  /** Nothing (no frame, no pong) arrived within the idle timeout. */
  | { readonly type: 'connection.stalled' }
  /** The first data of the subscription arrived: the attempt succeeded, the backoff starts over. */
  | { readonly type: 'connection.live' };

export interface ConnectionContext extends ConnectionInput {
  /** Failed attempts since data last flowed (`connection.live`). */
  readonly attempt: number;
  /** Delay of the current (or last) backoff wait. */
  readonly delayMs: number;
  readonly lastReason: string | undefined;
  /** Successful opens so far; 2 and more means reconnects happened. */
  readonly opens: number;
}

export type ConnectionStateName = 'stopped' | 'connecting' | 'open' | 'backoff' | 'failed';

/** Backoff delay before attempt `attempt` (1-based) with jitter drawn from `random`. */
export function backoffDelay(c: Pick<ConnectionInput, 'initialDelayMs' | 'maxDelayMs' | 'factor' | 'jitter'>, attempt: number, random: () => number): number {
  const base = Math.min(c.maxDelayMs, c.initialDelayMs * c.factor ** Math.max(0, attempt - 1));
  const jitter = Math.min(1, Math.max(0, c.jitter));
  return Math.round(base * (1 - jitter) + base * jitter * random());
}

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
  },
  actions: {
    openSocket: () => {},
    closeSocket: () => {},
    subscribe: () => {},
    report: () => {},
    planRetry: assign(({ context, event }) => {
      const attempt = context.attempt + 1;
      const reason = event.type === 'connection.closed' ? event.reason : event.type === 'connection.stalled' ? 'stalled' : context.lastReason;
      return { attempt, delayMs: backoffDelay(context, attempt, context.random), lastReason: reason };
    }),
    markOpen: assign(({ context }) => ({ opens: context.opens + 1, lastReason: undefined })),
    resetAttempts: assign({ attempt: 0 }),
  },
  guards: {
    gaveUp: ({ context }) => context.maxAttempts > 0 && context.attempt + 1 >= context.maxAttempts,
  },
  delays: {
    backoff: ({ context }) => context.delayMs,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({ ...input, attempt: 0, delayMs: 0, lastReason: undefined, opens: 0 }),
  initial: 'stopped',
  states: {
    stopped: {
      entry: ['closeSocket', 'report'],
      on: { 'connection.start': { target: 'connecting', actions: 'resetAttempts' } },
    },
    connecting: {
      entry: ['openSocket', 'report'],
      on: {
        'connection.opened': { target: 'open', actions: 'markOpen' },
        'connection.closed': [
          { guard: 'gaveUp', target: 'failed', actions: 'planRetry' },
          { target: 'backoff', actions: 'planRetry' },
        ],
        'connection.stalled': [
          { guard: 'gaveUp', target: 'failed', actions: ['planRetry', 'closeSocket'] },
          { target: 'backoff', actions: ['planRetry', 'closeSocket'] },
        ],
        'connection.stop': 'stopped',
      },
    },
    open: {
      entry: ['subscribe', 'report'],
      on: {
        'connection.closed': { target: 'backoff', actions: ['planRetry', 'closeSocket'] },
        'connection.stalled': { target: 'backoff', actions: ['planRetry', 'closeSocket'] },
        'connection.live': { actions: 'resetAttempts' },
        'connection.stop': 'stopped',
      },
    },
    backoff: {
      entry: 'report',
      after: { backoff: 'connecting' },
      on: { 'connection.stop': 'stopped' },
    },
    failed: {
      entry: ['closeSocket', 'report'],
      on: {
        'connection.start': { target: 'connecting', actions: 'resetAttempts' },
        'connection.stop': 'stopped',
      },
    },
  },
});
