import type { PositionEvent } from '../../machines/index.js';

/**
 * The bot's stop actions (machines/bot-machine.ts), what they tell the open positions: `cancelOpenBuys`
 * cancels the buy of every position still buying; `liquidateHoldings` (the `liquidate` stop policy) sells
 * every holding through the exit step (`exit`: the sell order, the dust closed, nothing without rules).
 * `tell` delivers: the engine's bot sends to its position actors, the RL environment steps its machines.
 */
export function cancelOpenBuys<P>(positions: Iterable<P>, state: (p: P) => string, ts: number, tell: (p: P, event: PositionEvent) => void): void {
  for (const p of positions) if (state(p) === 'buying') tell(p, { type: 'decision.cancelBuy', ts });
}

export function liquidateHoldings<P>(positions: Iterable<P>, state: (p: P) => string, exit: (p: P) => PositionEvent | undefined, tell: (p: P, event: PositionEvent) => void): void {
  for (const p of positions) {
    if (state(p) !== 'holding') continue;
    const event = exit(p);
    if (event) tell(p, event);
  }
}
