import { Observable } from 'rxjs';
import type { MarketEvent } from '../core/index.js';
import type { ReplaySource } from './replay.js';

/** The replay as an Observable; unsubscribing stops reading and closes the files. */
export function toObservable(source: ReplaySource): Observable<MarketEvent> {
  return new Observable<MarketEvent>((subscriber) => {
    const run = async (): Promise<void> => {
      for await (const batch of source.batches()) {
        for (const event of batch) {
          if (subscriber.closed) return;
          subscriber.next(event);
        }
      }
      subscriber.complete();
    };
    run().catch((err: unknown) => subscriber.error(err));
  });
}
