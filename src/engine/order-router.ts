import type { Order, TimerClock, Venue } from '../core/index.js';
import type { OrderEffect, PositionEvent } from '../../machines/index.js';

/** A command the engine sent to the venue (the event log's `order.command`). */
export interface OrderCommand {
  readonly type: 'create' | 'cancel' | 'query';
  readonly ts: number;
  readonly positionId: string;
  readonly clientId: string;
  readonly market: string;
  readonly side: 'buy' | 'sell';
  readonly price: number;
  readonly amount: number;
}

/** What the router needs of the kernel around it. */
export interface RouterHost {
  /** Event time of what is being processed. */
  now(): number;
  /** Delivers an event to the position (a look-up's answer). */
  send(positionId: string, event: PositionEvent): void;
  /** Whether the position is still open (a failed look-up of a settled one is not retried). */
  isOpen(positionId: string): boolean;
  /** Reports a command (undefined: nobody listens, no command is built). */
  readonly onCommand: ((command: OrderCommand) => void) | undefined;
}

/** The position machine's effects, as XState actions (`positionMachine.provide({ actions })`). */
export interface OrderEffects {
  placeOrder(_: unknown, p: OrderEffect): void;
  cancelOrder(_: unknown, p: OrderEffect): void;
  queryOrder(_: unknown, p: OrderEffect): void;
}

/** Backoff of a failed look-up: 1 s, 2 s, 4 s … up to a minute. */
function retryDelayMs(attempt: number): number {
  return Math.min(60_000, 1_000 * 2 ** attempt);
}

/**
 * The order router: the position machines' effects carried out on the venue. Orders are placed and
 * cancelled there; a look-up is asked of the venue and its answer goes back to the position (at once
 * from a simulated venue, when it arrives from a real one). A failed look-up is retried with backoff on
 * the kernel's clock — event time in a replay, the wall clock live — forever while its position is open:
 * a position waiting in an unknown state must not be left without an answer. One chain per order and
 * purpose: a position asking again (its own timeout) while a chain runs adds no second one.
 */
export function orderRouter(venue: Venue, clock: TimerClock, host: RouterHost): OrderEffects {
  const command = (type: OrderCommand['type'], p: OrderEffect): void => {
    const report = host.onCommand;
    if (report === undefined) return;
    report({ type, ts: host.now(), positionId: p.positionId, clientId: p.slot.clientId, market: p.market, side: p.slot.side, price: p.slot.price, amount: p.slot.amount });
  };
  const inFlight = new Set<string>();
  const lookup = (positionId: string, market: string, clientId: string, then?: (order: Order) => void): void => {
    const key = then ? `${clientId} cancel` : clientId;
    if (inFlight.has(key)) return;
    inFlight.add(key);
    const attempt = (n: number): void => {
      venue.lookupOrder({ clientId, market }, (reply) => {
        if ('error' in reply) {
          if (host.isOpen(positionId)) clock.setTimeout(() => attempt(n + 1), retryDelayMs(n));
          else inFlight.delete(key);
          return;
        }
        inFlight.delete(key);
        if (reply.order && then) then(reply.order);
        else host.send(positionId, { type: 'order.queryResult', ts: host.now(), clientId, order: reply.order });
      });
    };
    attempt(0);
  };
  return {
    placeOrder(_, p) {
      command('create', p);
      void venue.createLimitOrder({ clientId: p.slot.clientId, market: p.market, side: p.slot.side, price: p.slot.price, amount: p.slot.amount });
    },
    cancelOrder(_, p) {
      command('cancel', p);
      // Cancelling needs the venue's id: an order not known locally yet is looked up first.
      const order = venue.getOrder({ clientId: p.slot.clientId });
      if (order) void venue.cancelOrder(order.id).catch(() => undefined);
      else lookup(p.positionId, p.market, p.slot.clientId, (found) => void venue.cancelOrder(found.id).catch(() => undefined));
    },
    queryOrder(_, p) {
      command('query', p);
      lookup(p.positionId, p.market, p.slot.clientId);
    },
  };
}
