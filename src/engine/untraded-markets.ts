import type { MarketRules } from '../core/index.js';
import { NOT_LISTED } from '../exchange/ccxt/market-rules-refresh.js';

/**
 * One start-up line per restored position whose market does not trade now: halted by the exchange
 * (Binance `BREAK` / `HALT`: its rules are kept, so the position stays managed, no new position opens
 * there and its exits are tried, a refusal retried after the reject cooldown), or not listed at all (no
 * rules: the bot cannot price or size its exit this run). Said at the start so a trader knows why such a
 * position does not move, rather than finding it silent.
 */
export function untradedPositionLines(
  positions: readonly { readonly positionId: string; readonly market: string }[],
  rules: (market: string) => MarketRules | undefined,
  exchangeId: string,
): string[] {
  const lines: string[] = [];
  for (const p of positions) {
    const r = rules(p.market);
    if (r === undefined) lines.push(`market ${p.market} is not listed by ${exchangeId}: position ${p.positionId} is restored and shown, but has no market rules this run and cannot be exited by the bot`);
    else if (r.halted === NOT_LISTED) lines.push(`market ${p.market} is not listed by ${exchangeId}: position ${p.positionId} stays managed on the exchange's published tick rules; no new position opens there, and its exits are tried (priced once its trades come) and retried after each refusal until it is listed again`);
    else if (r.halted !== undefined) lines.push(`market ${p.market} is not trading on ${exchangeId} (status ${r.halted}): position ${p.positionId} stays managed; no new position opens there, and its exits are tried and retried after each refusal until it trades again`);
  }
  return lines;
}
