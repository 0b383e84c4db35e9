import type { HourRow, TradeRecord } from './performance.js';

/** Numbers as JavaScript prints them (shortest round-trip form): deterministic, so reruns are byte-identical. */
function num(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

function iso(ts: number): string {
  return new Date(ts).toISOString();
}

export function tradesCsv(trades: readonly TradeRecord[]): string {
  const rows = ['position_id,market,opened,closed,amount,entry_price,exit_price,spent,received,fees,pnl,return,reason,regime_1h,regime_6h,regime_12h,regime_24h'];
  for (const t of trades) {
    rows.push([t.positionId, t.market, iso(t.openedTs), iso(t.closedTs), num(t.amount), num(t.entryPrice), num(t.exitPrice), num(t.spent), num(t.received), num(t.fees), num(t.pnl), num(t.return), t.reason.replaceAll(',', ';'), t.regime['1h'] ?? '', t.regime['6h'] ?? '', t.regime['12h'] ?? '', t.regime['24h'] ?? ''].join(','));
  }
  return `${rows.join('\n')}\n`;
}

export function equityCsv(curve: readonly { ts: number; equity: number; invested: number }[]): string {
  return `${['time,equity,invested', ...curve.map((p) => `${iso(p.ts)},${num(p.equity)},${num(p.invested)}`)].join('\n')}\n`;
}

export function hourlyCsv(rows: readonly HourRow[]): string {
  const lines = ['hour,equity_start,equity_end,return,buys,sells,closed,wins,losses,win_rate'];
  for (const h of rows) {
    lines.push([iso(h.hour), num(h.equityStart), num(h.equityEnd), num(h.return), h.buys, h.sells, h.closed, h.wins, h.losses, h.closed > 0 ? num(h.wins / h.closed) : ''].join(','));
  }
  return `${lines.join('\n')}\n`;
}
