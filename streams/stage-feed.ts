import { Observable, type Observer, type Subscriber, type SubjectLike, type Unsubscribable } from 'rxjs';

/**
 * What a pipeline stage's output is multicast through (`share({ connector: () => new StageFeed() })`): the
 * engine's EventFeed, as a class of its own. The same code would be one function for the compiler: the events'
 * feed and the stages' feeds would share one `next`, whose call to its subscriber then sees every kind of
 * subscriber, and whose optimized code, compiled for the events' path (feed, dedupe, features: the hottest
 * code), would spend the bytecode it may inline on the batches' path (the volume filter, a batch a second),
 * leaving the features' calls out of line.
 */
export class StageFeed<T> implements SubjectLike<T> {
  /** Never changed in place (see EventFeed): a delivery walks the list as it was when it began. */
  #sinks: readonly Subscriber<T>[] = [];
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
    this.#sinks = [...this.#sinks, subscriber];
    return () => {
      const i = this.#sinks.indexOf(subscriber);
      if (i >= 0) this.#sinks = this.#sinks.filter((_, k) => k !== i);
    };
  });

  next(value: T): void {
    const sinks = this.#sinks;
    for (let i = 0; i < sinks.length; i++) (sinks[i] as Subscriber<T>).next(value);
  }

  error(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = { error };
    const sinks = this.#sinks;
    this.#sinks = [];
    for (const sink of sinks) sink.error(error);
  }

  complete(): void {
    if (this.#done) return;
    this.#done = true;
    const sinks = this.#sinks;
    this.#sinks = [];
    for (const sink of sinks) sink.complete();
  }

  subscribe(observer: Partial<Observer<T>>): Unsubscribable {
    return this.observable.subscribe(observer);
  }
}
