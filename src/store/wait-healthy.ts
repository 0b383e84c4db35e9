import { filter, firstValueFrom, map, of, timeout } from 'rxjs';
import type { Store } from './store.js';

/** True once the store has written something and reports `ok`, false after `timeoutMs` (Redis unreachable). */
export async function waitHealthy(store: Store, timeoutMs: number): Promise<boolean> {
  await store.flush(timeoutMs);
  return firstValueFrom(store.health$.pipe(filter((h) => h.status === 'ok'), map(() => true), timeout({ first: timeoutMs, with: () => of(false) })));
}
