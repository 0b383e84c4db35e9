import { Observable, share, type SubjectLike } from 'rxjs';
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

  it("multicasts through share() as RxJS's Subject does: one source run, errors, late subscribers and a fresh run after a reset", () => {
    const scenario = (connector?: () => SubjectLike<number>): string[] => {
      const log: string[] = [];
      let runs = 0;
      const source = new Observable<number>((subscriber) => {
        const run = ++runs;
        log.push(`start ${run}`);
        subscriber.next(run * 10);
        subscriber.next(run * 10 + 1);
        if (run === 1) subscriber.complete();
        else subscriber.error(new Error(`boom ${run}`));
        return () => log.push(`stop ${run}`);
      });
      const shared = source.pipe(connector ? share({ connector, resetOnError: false }) : share({ resetOnError: false }));
      const watch = (name: string): void => {
        shared.subscribe({ next: (v) => log.push(`${name} ${v}`), error: (e: Error) => log.push(`${name} error ${e.message}`), complete: () => log.push(`${name} done`) });
      };
      watch('a');
      watch('b'); // after completion: share resets and runs the source again, which errs
      watch('c'); // after the error, which share keeps: the error at once, no third run
      return log;
    };
    const withFeed = scenario(() => new EventFeed<number>());
    expect(withFeed).toEqual(scenario());
    expect(withFeed).toEqual(['start 1', 'a 10', 'a 11', 'a done', 'stop 1', 'start 2', 'b 20', 'b 21', 'b error boom 2', 'stop 2', 'c error boom 2']);
  });
});
