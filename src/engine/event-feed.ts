import { Observable, type Observer, type Subscriber, type SubjectLike, type Unsubscribable } from 'rxjs';

/**
 * A hot source the engine pushes into (every market event; the strategy's inputs): a Subject without its
 * per-call cost (RxJS's Subject.next allocates an error-context closure and walks a copied observer list
 * on every call, and market events are the hottest call of a backtest, millions of times a run).
 * Subscribers added after `complete()` complete at once, as with a Subject. The pipeline's `share` stages
 * multicast through StageFeed, this class with a `next` of its own (stage-feed.ts says why).
 */
export class EventFeed<T> implements SubjectLike<T> {
  /**
   * Never changed in place: subscribe and unsubscribe replace it, so a delivery walks the list as it was when
   * it began (a subscriber may unsubscribe, or another subscribe, meanwhile) without copying it for each value.
   */
  protected sinks: readonly Subscriber<T>[] = [];
  #done = false;

  #error: { readonly error: unknown } | undefined;

  readonly observable: Observable<T> = new Observable<T>((subscriber) => {
    if (this.#error) {
      subscriber.error(this.#error.error);
      return undefined;
    }
    if (this.#done) {
      subscriber.complete();
      return undefined;
    }
    this.sinks = [...this.sinks, subscriber];
    return () => {
      const i = this.sinks.indexOf(subscriber);
      if (i >= 0) this.sinks = this.sinks.filter((_, k) => k !== i);
    };
  });

  next(value: T): void {
    const sinks = this.sinks;
    if (sinks.length === 1) (sinks[0] as Subscriber<T>).next(value);
    else for (let i = 0; i < sinks.length; i++) (sinks[i] as Subscriber<T>).next(value);
  }

  error(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = { error };
    const sinks = this.sinks;
    this.sinks = [];
    for (const sink of sinks) sink.error(error);
  }

  complete(): void {
    if (this.#done) return;
    this.#done = true;
    const sinks = this.sinks;
    this.sinks = [];
    for (const sink of sinks) sink.complete();
  }

  subscribe(observer: Partial<Observer<T>>): Unsubscribable {
    return this.observable.subscribe(observer);
  }
}
