import { type Observer, Subscription, type Subscriber } from 'rxjs';

/**
 * What an operator on the per-event path subscribes to its source with: an Observer that is also a
 * Subscription, which RxJS hands to the source as it is. Subscribing with a plain `{ next }` object wraps it
 * in a SafeSubscriber, and every event then passes Subscriber.next, SafeSubscriber._next and
 * ConsumerObserver.next (calls that every subscriber of the process shares, so they stay megamorphic)
 * before reaching the operator: at two such hops an event, millions of events a run, that was a tenth of
 * the features' CPU. With sinks, the engine's event feed calls the first operator's `next`, which calls
 * the next operator's, directly.
 *
 * It keeps a Subscriber's contract: nothing after `error`, `complete` or `unsubscribe`; an error thrown by
 * the operator's own code goes to its subscriber's `error`, as RxJS's operators do; after `error` or
 * `complete` it unsubscribes (what it subscribed to, added to it by the source, goes with it).
 */
export abstract class EventSink<T, R> extends Subscription implements Observer<T> {
  protected readonly downstream: Subscriber<R>;
  /** Set by error, complete and unsubscribe: the sink takes nothing more. */
  protected stopped = false;

  constructor(downstream: Subscriber<R>) {
    super();
    this.downstream = downstream;
  }

  /** Subclasses check `stopped` first and call `fail` with what their own code threw. */
  abstract next(value: T): void;

  error(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.downstream.error(error);
    this.unsubscribe();
  }

  complete(): void {
    if (this.stopped) return;
    try {
      this.finish();
    } catch (error: unknown) {
      this.error(error);
      return;
    }
    this.stopped = true;
    this.downstream.complete();
    this.unsubscribe();
  }

  override unsubscribe(): void {
    this.stopped = true;
    super.unsubscribe();
  }

  /** What the operator emits at completion, before its subscriber completes. */
  protected finish(): void {}

  /** An error thrown by the operator's own code: its subscriber's error, and the sink stops. */
  protected fail(error: unknown): void {
    this.error(error);
  }
}
