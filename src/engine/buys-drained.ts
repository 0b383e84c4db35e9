import type { Venue } from '../core/index.js';

/**
 * Whether the bot in `botState` should hear `positions.drained`: stopping ends once no buy of the bot
 * rests on the venue any more. The bot's states are flat: comparing the value spares XState's general
 * state matching on every order event.
 */
export function buysDrained(botState: unknown, venue: Pick<Venue, 'getOpenOrders'>): boolean {
  return botState === 'stopping' && !venue.getOpenOrders().some((o) => o.side === 'buy');
}
