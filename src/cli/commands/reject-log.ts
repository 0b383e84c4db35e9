import type { OrderEvent } from '../../core/index.js';

type Rejected = Extract<OrderEvent, { type: 'order.rejected' }>;

/**
 * The session's lines for refused orders: one per refusal, except during an exchange ban (HTTP 418), which
 * is said once with its end time — every order placed until then is refused without a line of its own
 * (each is still an `order.rejected` to its position, and counted in `bannedRejects`, the status line's `banned`). A new or longer ban
 * (another end time, to the second) is said again.
 */
export class RejectLog {
  /** Orders refused during a ban (the first, said with the ban, included). */
  bannedRejects = 0;
  #ban: string | undefined;

  constructor(private readonly label: string) {}

  /** The line to write for this refusal, or undefined when it goes without one. */
  line(e: Rejected): string | undefined {
    if (e.reason !== 'banned') return `${this.label}: order ${e.clientId} rejected: ${e.reason} (${e.message})\n`;
    this.bannedRejects++;
    // Orders in flight answered 418 one after another each move the end a few milliseconds: one ban.
    const ban = e.message.replace(/(T\d\d:\d\d:\d\d)\.\d+Z/g, '$1Z');
    if (ban === this.#ban) return undefined;
    this.#ban = ban;
    return `${this.label}: ${e.message}; order ${e.clientId} (${e.market}) rejected, and every order placed until then is rejected without a line of its own (counted as "banned" in the status line)\n`;
  }
}
