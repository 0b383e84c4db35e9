import { describe, expect, it } from 'vitest';
import { EventFeed } from '../../src/engine/event-feed.js';

describe('EventFeed', () => {
  it('delivers every value to every subscriber in order, and completes them', () => {
    const feed = new EventFeed<number>();
    const a: (number | 'done')[] = [];
    const b: (number | 'done')[] = [];
    feed.observable.subscribe({ next: (v) => a.push(v), complete: () => a.push('done') });
    feed.next(1);
    feed.observable.subscribe({ next: (v) => b.push(v), complete: () => b.push('done') });
    feed.next(2);
    feed.next(3);
    feed.complete();
    feed.next(4);
    expect(a).toEqual([1, 2, 3, 'done']);
    expect(b).toEqual([2, 3, 'done']);
  });

  it('stops delivering to a subscriber that unsubscribed, even while a value is being delivered', () => {
    const feed = new EventFeed<number>();
    const seen: string[] = [];
    const first = feed.observable.subscribe((v) => {
      seen.push(`a${v}`);
      second.unsubscribe();
    });
    const second = feed.observable.subscribe((v) => seen.push(`b${v}`));
    feed.next(1);
    feed.next(2);
    first.unsubscribe();
    feed.next(3);
    // The copy taken for value 1 still reaches b, whose subscriber is closed by then and drops it.
    expect(seen).toEqual(['a1', 'a2']);
  });

  it('completes a subscriber that arrives after completion at once', () => {
    const feed = new EventFeed<number>();
    feed.complete();
    let completed = false;
    feed.observable.subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(true);
  });
});
