import type { PositionView } from '../../../strategies/index.js';
import type { ActionConfig } from './rl-config.js';

/** The seed's four actions plus doing nothing, as the agent's discrete outputs. */
export const HOLD = 0;
export const BUY = 1;
export const SELL = 2;
export const CANCEL_BUY = 3;
export const CANCEL_SELL = 4;
export const ACTION_COUNT = 5;
export const ACTION_NAMES = ['HOLD', 'BUY', 'SELL', 'CANCEL_BUY', 'CANCEL_SELL'] as const;

/** Position state of a market as the agent sees it: none, buy resting, holding, sell resting, or in between. */
export type PositionGroup = 'flat' | 'buying' | 'holding' | 'selling' | 'busy';

export function groupOf(state: PositionView['state'] | undefined): PositionGroup {
  switch (state) {
    case undefined:
    case 'settled':
      return 'flat';
    case 'buying':
      return 'buying';
    case 'holding':
      return 'holding';
    case 'selling':
      return 'selling';
    default:
      // idle (between open and the order), cancellingBuy, unknownBuy, cancellingSell, unknownSell
      return 'busy';
  }
}

/**
 * Valid actions (1 = allowed) written into `mask` at `offset`: HOLD always; BUY only when flat, a
 * position slot is free and buying is possible now; SELL only when holding; a cancel only when that
 * order rests. No sell when flat, no cancel without an order.
 */
export function writeMask(group: PositionGroup, canBuy: boolean, mask: Uint8Array, offset: number): void {
  mask[offset + HOLD] = 1;
  mask[offset + BUY] = group === 'flat' && canBuy ? 1 : 0;
  mask[offset + SELL] = group === 'holding' ? 1 : 0;
  mask[offset + CANCEL_BUY] = group === 'buying' ? 1 : 0;
  mask[offset + CANCEL_SELL] = group === 'selling' ? 1 : 0;
}

/**
 * Whether BUY is offered in a market (besides a free slot and a running bot): everywhere without
 * `actions` or with `candidates` off; otherwise only where the signal's expected net return (in percent,
 * the observation's `expected_value_pct`) exceeds `minEdge`. The environment and the engine's agent both
 * decide it from the same float32 input.
 */
export function entryOffered(actions: ActionConfig | undefined, expectedValuePct: number): boolean {
  return actions === undefined || !actions.candidates || expectedValuePct > actions.minEdge * 100;
}

/** Index of the best valid action (ties: the lowest index, so HOLD wins a tie). */
export function maskedArgmax(q: Float32Array, qOffset: number, mask: Uint8Array, maskOffset: number): number {
  let best = HOLD;
  let bestQ = -Infinity;
  for (let a = 0; a < ACTION_COUNT; a++) {
    if (mask[maskOffset + a] !== 1) continue;
    const v = q[qOffset + a] as number;
    if (v > bestQ) {
      bestQ = v;
      best = a;
    }
  }
  return best;
}
