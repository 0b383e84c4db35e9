/** One readable line per monitoring message (`coinrx monitor`). */
import { parseChannelMessage, type ChannelMessages, type ChannelName } from '../../store/channels.js';
import type { ReceivedMessage } from '../../store/store.js';
import { groupedNumber } from '../../core/grouped-number.js';

function num(value: number | undefined, digits = 6): string {
  if (value === undefined) return '-';
  return Number.isInteger(value) ? groupedNumber(value) : Number(value.toPrecision(digits)).toString();
}

function time(ts: number): string {
  return Number.isFinite(ts) ? new Date(ts).toISOString() : String(ts);
}

function body<C extends ChannelName>(name: C, m: ChannelMessages[C]): string {
  switch (name) {
    case 'ranking': {
      const r = m as ChannelMessages['ranking'];
      return r.ranking.length === 0 ? '(empty)' : r.ranking.map((e, i) => `${i + 1}.${e.market} ${num(e.score, 3)}`).join('  ');
    }
    case 'decisions': {
      const d = m as ChannelMessages['decisions'];
      return `${d.kind} ${d.market}${d.price !== undefined ? ` @${num(d.price)}` : ''} (${d.reason}${d.score !== undefined ? `, score ${num(d.score, 3)}` : ''})`;
    }
    case 'positions': {
      const p = m as ChannelMessages['positions'];
      const extra = [p.amount !== undefined ? `amount ${num(p.amount)}` : '', p.entryPrice !== undefined ? `entry ${num(p.entryPrice)}` : '', p.pnl !== undefined ? `pnl ${num(p.pnl)}` : '', p.reason ?? ''].filter(Boolean);
      return `${p.positionId} ${p.market} ${p.from ?? '∅'} → ${p.state} on ${p.event}${extra.length > 0 ? ` ${extra.join(' ')}` : ''}`;
    }
    case 'fills': {
      const f = m as ChannelMessages['fills'];
      return `${f.side} ${num(f.amount)} ${f.market} @${num(f.price)} fee ${num(f.fee)} (${f.clientId})`;
    }
    case 'stats': {
      const s = m as ChannelMessages['stats'];
      const parts = [`equity ${num(s.equity)}`, `invested ${num(s.invested)}`];
      if (s.openPositions !== undefined) parts.push(`open ${s.openPositions}`);
      if (s.closedPositions !== undefined) parts.push(`closed ${s.closedPositions}`);
      if (s.winRate !== undefined) parts.push(`win ${(s.winRate * 100).toFixed(1)}%`);
      if (s.realizedPnl !== undefined) parts.push(`pnl ${num(s.realizedPnl)}`);
      if (s.returnPct !== undefined) parts.push(`return ${num(s.returnPct, 4)}%`);
      return parts.join(' ');
    }
    case 'health': {
      const h = m as ChannelMessages['health'];
      const counts = [h.pendingEvents ? `pending ${h.pendingEvents}` : '', h.droppedEvents ? `dropped events ${h.droppedEvents}` : '', h.droppedMessages ? `dropped messages ${h.droppedMessages}` : ''].filter(Boolean);
      return `${h.component} ${h.status.toUpperCase()}: ${h.reason}${counts.length > 0 ? ` [${counts.join(', ')}]` : ''}`;
    }
    default:
      return JSON.stringify(m);
  }
}

/** `<event time> <bot> <channel> <summary>`; a message that fails its schema is shown raw with the problem. */
export function formatMonitorLine(received: ReceivedMessage): string {
  const parsed = parseChannelMessage(received.name, received.message);
  if (!parsed.ok) return `${'?'.padEnd(24)} ${received.botId} ${received.name.padEnd(9)} invalid message (${parsed.error}): ${JSON.stringify(received.message)}`;
  return `${time(parsed.message.ts)} ${received.botId} ${received.name.padEnd(9)} ${body(received.name, parsed.message)}`;
}
