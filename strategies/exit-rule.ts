/** The strategy's exits, as one pure rule shared by real positions and the edge gate's paper trades. */
export interface ExitRule {
  /** Take profit at this net return (fees on both sides). */
  readonly takeProfit: number;
  /** Stop out at this net loss (positive number). */
  readonly stopLoss: number;
  readonly maxHoldMs: number;
  /** Trailing stop: armed once the best net return reached this (0 = off) … */
  readonly trailActivate: number;
  /** … it sells when the net return falls this far below that best. */
  readonly trailDistance: number;
}

export type ExitReason = 'take-profit' | 'stop-loss' | 'trailing-stop' | 'time-limit';

/** Net return of selling at `bid` what was bought at `entry`, a fee on each side. */
export function netReturn(bid: number, entry: number, feeRate: number): number {
  return (bid * (1 - feeRate)) / (entry * (1 + feeRate)) - 1;
}

/**
 * The first exit that applies to a position with net return `net`, best net return so far `best`
 * (including `net`) and `heldMs` held: stop-loss, take-profit, trailing stop, time limit, in that order.
 */
export function exitReason(rule: ExitRule, net: number, best: number, heldMs: number): ExitReason | undefined {
  if (net <= -rule.stopLoss) return 'stop-loss';
  if (net >= rule.takeProfit) return 'take-profit';
  if (rule.trailActivate > 0 && best >= rule.trailActivate && net <= best - rule.trailDistance) return 'trailing-stop';
  if (heldMs >= rule.maxHoldMs) return 'time-limit';
  return undefined;
}
