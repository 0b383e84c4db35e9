import { Observable, type Observer, type Subscriber, type SubjectLike, type Unsubscribable } from 'rxjs';

/**
 * A hot source the engine pushes into (every market event; the strategy's inputs): a Subject without its
 * per-call cost (RxJS's Subject.next allocates an error-context closure and walks a copied observer list
 * on every call, and market events are the hottest call of a backtest, millions of times a run).
 * Subscribers added after `complete()` complete at once, as with a Subject. It is also what the pipeline's
 * `share` stages multicast through (`share({ connector })`).
 */
export class EventFeed<T> implements SubjectLike<T> {
  readonly #sinks: Subscriber<T>[] = [];
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
    this.#sinks.push(subscriber);
    return () => {
      const i = this.#sinks.indexOf(subscriber);
      if (i >= 0) this.#sinks.splice(i, 1);
    };
  });

  next(value: T): void {
    const sinks = this.#sinks;
    if (sinks.length === 1) (sinks[0] as Subscriber<T>).next(value);
    // A copy: a subscriber may unsubscribe (or another subscribe) while the value is delivered.
    else if (sinks.length > 1) for (const sink of sinks.slice()) sink.next(value);
  }

  error(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = { error };
    for (const sink of this.#sinks.splice(0)) sink.error(error);
  }

  complete(): void {
    if (this.#done) return;
    this.#done = true;
    for (const sink of this.#sinks.splice(0)) sink.complete();
  }

  subscribe(observer: Partial<Observer<T>>): Unsubscribable {
    return this.observable.subscribe(observer);
  }
}
