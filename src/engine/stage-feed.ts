import type { Subscriber } from 'rxjs';
import { EventFeed } from './event-feed.js';

/**
 * What a pipeline stage's output is multicast through (`share({ connector: () => new StageFeed() })`): the
 * engine's EventFeed with a `next` of its own. With one `next`, the events' feed and the stages' feeds would
 * share its code: its call to a subscriber would see every kind of subscriber, and its optimized code,
 * compiled for the events' path (feed, dedupe, features: the hottest code), would spend the bytecode it may
 * inline on the batches' path (the volume filter, a batch a second), leaving the features' calls out of line.
 */
export class StageFeed<T> extends EventFeed<T> {
  override next(value: T): void {
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) (sinks[i] as Subscriber<T>).next(value);
  }
}
