import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/core/index.js';
import { dedupeTrades, featureSnapshots, type FeatureBatch, rankMarkets, volumeFilter } from '../../streams/index.js';

const T0 = 1_700_000_040_000;

function trade(market: string, ts: number, price: number): MarketEvent {
  return { kind: 'trade', market, ts, price, amount: 1 };
}

/** The operators subscribe to their sources with sinks (streams/event-sink.ts), not RxJS's SafeSubscriber: they keep a subscriber's contract. */
describe('operators on the per-event path', () => {
  it('unsubscribing downstream unsubscribes every stage from the source', () => {
    const events = new Subject<MarketEvent>();
    const batches: FeatureBatch[] = [];
    const subscription = events.pipe(dedupeTrades(), featureSnapshots({ everyMs: 1000 }), volumeFilter({}), rankMarkets({ top: 3 })).subscribe();
    const features = events.pipe(dedupeTrades(), featureSnapshots({ everyMs: 1000 })).subscribe((b) => batches.push(b));
    events.next(trade('BTC/KRW', T0 + 500, 100));
    events.next(trade('BTC/KRW', T0 + 1500, 101));
    expect(batches.map((b) => b.ts)).toEqual([T0 + 1000]);
    subscription.unsubscribe();
    features.unsubscribe();
    expect(events.observed).toBe(false);
  });

  it('an error thrown by a scorer errors the ranking stream and nothing follows it', () => {
    const events = new Subject<MarketEvent>();
    const errors: unknown[] = [];
    let rankings = 0;
    const failure = new Error('model failed');
    events.pipe(featureSnapshots({ everyMs: 1000 }), rankMarkets({ top: 3, score: () => { throw failure; } })).subscribe({ next: () => rankings++, error: (e: unknown) => errors.push(e) });
    events.next(trade('BTC/KRW', T0 + 500, 100));
    events.next(trade('BTC/KRW', T0 + 1500, 101));
    events.next(trade('BTC/KRW', T0 + 2500, 102));
    expect(errors).toEqual([failure]);
    expect(rankings).toBe(0);
    expect(events.observed).toBe(false);
  });

  it('completion emits the pending batch, then completes once; later events are ignored', () => {
    const batches: number[] = [];
    let completions = 0;
    const events = new Subject<MarketEvent>();
    events.pipe(featureSnapshots({ everyMs: 1000 })).subscribe({ next: (b) => batches.push(b.ts), complete: () => completions++ });
    events.next(trade('BTC/KRW', T0 + 500, 100));
    events.complete();
    events.next(trade('BTC/KRW', T0 + 1500, 101));
    expect(batches).toEqual([T0 + 1000]);
    expect(completions).toBe(1);
  });
});
