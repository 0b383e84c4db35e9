import { Redis } from 'ioredis';

/**
 * One connection attempt to Redis, bounded by `timeoutMs`: undefined when it answered PING, else why
 * not (ECONNREFUSED, a timeout, an auth error). Never retries by itself: the caller decides and says so.
 */
export async function probeRedis(url: string, timeoutMs = 2_000): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let cause: NodeJS.ErrnoException | undefined;
  client.on('error', (error: NodeJS.ErrnoException) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    // The socket's own error (ECONNREFUSED) says more than the rejection ("Connection is closed.").
    const e = cause ?? (error as NodeJS.ErrnoException);
    return e.code ?? e.message;
  } finally {
    client.disconnect();
  }
}
