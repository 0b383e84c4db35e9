import { backoffDelay } from '../../machines/connection-machine.js';

export interface RetryOptions {
  /** Total attempts including the first (default 5). */
  readonly attempts?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly factor?: number;
  /** Fraction of each delay that is randomised (default 0.5). */
  readonly jitter?: number;
  readonly random?: () => number;
  /** Whether an error is worth another attempt (default: every error). */
  readonly retryable?: (error: unknown) => boolean;
  /** Stops waiting and retrying when aborted. */
  readonly signal?: AbortSignal;
  /** Called before each wait. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Sleeps `ms`; rejects when `signal` aborts. The timer is ref'd: a caller awaiting a retry must not see
 * the process exit under it (every wait is bounded, and `signal` ends it early).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits for `promise` to settle, `ms` at most (its outcome ignored); the timer is cleared once it has. */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.then(noop, noop), new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]);
  clearTimeout(timer);
}

function noop(): void {}

/** Runs `fn` until it succeeds, a non-retryable error is thrown, or the attempts run out (exponential backoff, jitter). */
export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const shape = { initialDelayMs: options.initialDelayMs ?? 250, maxDelayMs: options.maxDelayMs ?? 10_000, factor: options.factor ?? 2, jitter: options.jitter ?? 0.5 };
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || options.signal?.aborted || (options.retryable && !options.retryable(error))) throw error;
      const delay = backoffDelay(shape, attempt, random);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
