import { existsSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { BinanceServer } from './binance-server.js';
import type { UpbitServer } from './upbit-server.js';

/**
 * The end-of-scenario audit of the fault matrix: the exchange's own orders and trades (what really
 * happened) against what the bot holds (its position snapshots in Redis, the fill records of its event
 * log, the balances it reported on stop). Every count must be zero after any crash or fault:
 *
 * - duplicateOrders: a bot order that was open while another bot order of the same market was open
 *   (another position, or the same position on the same side), or a client id used for two orders.
 * - lostFills: exchange trades of a bot order beyond the volume the bot's fill records add up to.
 * - fillsRecordedTwice: fill records beyond what the exchange executed for that order (counted record by
 *   record, oldest first), and fill records of orders the exchange never had.
 * - lostPositions: a position the bot had in Redis during the run that is neither managed at the end nor
 *   closed on the exchange (no open order, nothing left of what it bought).
 * - abandonedPositions: seen from the exchange: a position of the bot (its client-id prefix) with an open
 *   order or coins bought and not sold, that no position in Redis manages at the end.
 * - balanceMismatches: a currency whose total (free + locked) in the bot's report differs from the
 *   exchange's, and a managed position whose bought or sold amount differs from what its orders executed
 *   (bought: net of the fee an exchange took in the coin, what the account received).
 * - ownCalledForeign: a start-up line calling coins or an order of the bot's own "held outside the bot's
 *   positions" or "belonging to no position" (the scenarios' accounts hold nothing but the bot's).
 */

/** One order, in the audit's own terms (either server maps to it). */
export interface AuditOrder {
  readonly id: string;
  readonly clientId: string | undefined;
  /** `XRP/KRW`. */
  readonly market: string;
  readonly side: 'buy' | 'sell';
  readonly amount: number;
  readonly executed: number;
  /** Of `executed`, what the exchange took as the order's fee in the coin bought (Binance without BNB): never the account's. */
  readonly feeInBase?: number;
  readonly open: boolean;
  readonly createdAt: number;
  readonly closedAt: number | undefined;
  /** Executed volumes, in execution order. */
  readonly trades: readonly { readonly id: string; readonly amount: number }[];
}

export interface ExchangeState {
  readonly orders: readonly AuditOrder[];
  /** Free + locked per currency. */
  readonly balances: Readonly<Record<string, number>>;
  /** Base left over that counts as nothing, per market (fees taken in the base, lot-step remainders). */
  readonly dust: (order: { market: string; bought: number }) => number;
}

/** What the bot's position snapshots carry that the audit reads (machines/position-machine.ts). */
export interface AuditPosition {
  readonly positionId: string;
  readonly market: string;
  readonly state: string;
  readonly boughtBefore: number;
  readonly soldBefore: number;
  readonly buy: { readonly clientId: string; readonly filled: number; readonly baseFee?: number } | undefined;
  readonly sell: { readonly clientId: string; readonly filled: number } | undefined;
}

export interface AuditFill {
  readonly clientId: string;
  readonly orderId: string;
  readonly amount: number;
  readonly ts: number;
}

export interface BotState {
  /** Position snapshots in Redis at the end (what a restart would manage). */
  readonly positions: readonly AuditPosition[];
  /** Every `fill` record of the event log, oldest first. */
  readonly fills: readonly AuditFill[];
  /** Free + locked per currency as the bot reported on stop (summary.json); undefined: no report. */
  readonly balances: Readonly<Record<string, number>> | undefined;
}

export interface AuditCounts {
  duplicateOrders: number;
  lostFills: number;
  fillsRecordedTwice: number;
  lostPositions: number;
  abandonedPositions: number;
  balanceMismatches: number;
  ownCalledForeign: number;
}

export interface AuditReport {
  readonly counts: AuditCounts;
  /** One line per counted finding, naming the order or position. */
  readonly findings: readonly string[];
}

export interface AuditOptions {
  /** Client ids of this bot start with it (`<botId>-`). */
  readonly clientPrefix: string;
  /** Position ids the bot had in Redis at some point of the run (sampled by the scenario). */
  readonly known?: Iterable<string>;
  /** What the bot wrote to stderr over the run, every run: checked for its own holdings called foreign. */
  readonly reports?: string;
}

/** `<positionId>-b1` → `<positionId>`. */
export function positionOf(clientId: string): string {
  return clientId.slice(0, clientId.lastIndexOf('-'));
}

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(scale)) + 1e-12;
}

/** The coins the position counts as bought: net of the fee taken in the coin, as the account received them. */
function bought(p: AuditPosition): number {
  return p.boughtBefore + (p.buy ? p.buy.filled - (p.buy.baseFee ?? 0) : 0);
}
function sold(p: AuditPosition): number {
  return p.soldBefore + (p.sell?.filled ?? 0);
}

export function auditFaults(exchange: ExchangeState, bot: BotState, options: AuditOptions): AuditReport {
  const counts: AuditCounts = { duplicateOrders: 0, lostFills: 0, fillsRecordedTwice: 0, lostPositions: 0, abandonedPositions: 0, balanceMismatches: 0, ownCalledForeign: 0 };
  const findings: string[] = [];
  const count = (key: keyof AuditCounts, line: string): void => {
    counts[key]++;
    findings.push(`${key}: ${line}`);
  };
  const ours = exchange.orders.filter((o) => o.clientId?.startsWith(options.clientPrefix)).sort((a, b) => a.createdAt - b.createdAt);

  // Duplicate orders: one client id, one order; one open order per market unless a position's buy and sell.
  const byClientId = new Map<string, AuditOrder[]>();
  for (const o of ours) byClientId.set(o.clientId as string, [...(byClientId.get(o.clientId as string) ?? []), o]);
  for (const [clientId, list] of byClientId) if (list.length > 1) for (const o of list.slice(1)) count('duplicateOrders', `${clientId} placed again as ${o.id}`);
  for (let i = 0; i < ours.length; i++) {
    const o = ours[i] as AuditOrder;
    const clash = ours.slice(0, i).find((p) => p.market === o.market && (p.closedAt === undefined || p.closedAt > o.createdAt) && (positionOf(p.clientId as string) !== positionOf(o.clientId as string) || p.side === o.side));
    if (clash) count('duplicateOrders', `${o.clientId} (${o.side} ${o.amount} ${o.market}) placed while ${clash.clientId} was open`);
  }

  // Fills: the records of each order against its trades, volume by volume.
  const records = new Map<string, AuditFill[]>();
  for (const f of bot.fills) records.set(f.clientId, [...(records.get(f.clientId) ?? []), f]);
  for (const o of ours) {
    const recs = records.get(o.clientId as string) ?? [];
    records.delete(o.clientId as string);
    const recorded = recs.reduce((a, f) => a + f.amount, 0);
    let cum = 0;
    for (const t of o.trades) {
      cum += t.amount;
      if (cum > recorded && !close(cum, recorded, o.amount)) count('lostFills', `${o.clientId}: trade ${t.id} of ${t.amount} ${o.market} (executed ${o.executed}, recorded ${recorded})`);
    }
    cum = 0;
    for (const f of [...recs].sort((a, b) => a.ts - b.ts)) {
      cum += f.amount;
      if (cum > o.executed && !close(cum, o.executed, o.amount)) count('fillsRecordedTwice', `${o.clientId}: a fill record of ${f.amount} beyond the ${o.executed} executed (recorded ${recorded})`);
    }
  }
  for (const [clientId, recs] of records) {
    if (!clientId.startsWith(options.clientPrefix)) continue;
    for (const f of recs) count('fillsRecordedTwice', `${clientId}: a fill record of ${f.amount} for an order the exchange does not have`);
  }

  // Positions: the exchange's view of each of the bot's positions against the ones it manages.
  const managed = new Map(bot.positions.map((p) => [p.positionId, p]));
  const groups = new Map<string, AuditOrder[]>();
  for (const o of ours) groups.set(positionOf(o.clientId as string), [...(groups.get(positionOf(o.clientId as string)) ?? []), o]);
  const onExchange = (id: string): { bought: number; sold: number; open: AuditOrder[]; market: string | undefined } => {
    const list = groups.get(id) ?? [];
    return {
      bought: list.filter((o) => o.side === 'buy').reduce((a, o) => a + o.executed - (o.feeInBase ?? 0), 0),
      sold: list.filter((o) => o.side === 'sell').reduce((a, o) => a + o.executed, 0),
      open: list.filter((o) => o.open),
      market: list[0]?.market,
    };
  };
  const closed = (id: string): boolean => {
    const x = onExchange(id);
    return x.open.length === 0 && (x.market === undefined || x.bought - x.sold <= exchange.dust({ market: x.market, bought: x.bought }) + 1e-12);
  };
  for (const id of new Set(options.known ?? [])) {
    if (managed.has(id) || closed(id)) continue;
    const x = onExchange(id);
    count('lostPositions', `${id}: gone from Redis with ${x.bought - x.sold} ${x.market} held and ${x.open.length} open order(s)`);
  }
  for (const id of groups.keys()) {
    if (managed.has(id) || closed(id)) continue;
    const x = onExchange(id);
    count('abandonedPositions', `${id}: ${x.bought - x.sold} ${x.market} bought and not sold, open ${x.open.map((o) => o.clientId).join(', ') || 'none'}, managed by no position`);
  }
  for (const p of managed.values()) {
    const x = onExchange(p.positionId);
    if (!close(bought(p), x.bought, x.bought)) count('balanceMismatches', `${p.positionId} (${p.state}): bought ${bought(p)} ${p.market}, its orders executed ${x.bought}`);
    if (!close(sold(p), x.sold, x.sold)) count('balanceMismatches', `${p.positionId} (${p.state}): sold ${sold(p)} ${p.market}, its orders executed ${x.sold}`);
  }
  if (bot.balances) {
    for (const currency of new Set([...Object.keys(bot.balances), ...Object.keys(exchange.balances)])) {
      const mine = bot.balances[currency] ?? 0;
      const theirs = exchange.balances[currency] ?? 0;
      if (Math.abs(mine - theirs) > 1e-6 * Math.max(1, Math.abs(theirs))) count('balanceMismatches', `${currency}: the bot reports ${mine}, the exchange holds ${theirs}`);
    }
  }
  for (const line of (options.reports ?? '').split('\n')) {
    if (/held outside the bot's positions|belongs to no position of this bot/.test(line)) count('ownCalledForeign', line.trim());
  }
  return { counts, findings };
}

/** The one line a scenario prints: its name and every count. */
export function auditLine(name: string, counts: AuditCounts): string {
  return `fault audit ${name}: ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')}`;
}

/** The Upbit test server's orders and balances in the audit's terms (fees are taken in KRW: no dust). */
export function upbitExchangeState(server: UpbitServer): ExchangeState {
  return {
    orders: server.allOrders().map((o) => {
      const [quote, base] = o.market.split('-') as [string, string];
      return {
        id: o.uuid,
        clientId: o.identifier,
        market: `${base}/${quote}`,
        side: o.side === 'bid' ? 'buy' : 'sell',
        amount: o.volume,
        executed: o.executed,
        open: o.state === 'wait',
        createdAt: o.createdAt,
        closedAt: o.closedAt,
        trades: o.trades.map((t) => ({ id: t.uuid, amount: t.volume })),
      };
    }),
    balances: Object.fromEntries(Object.entries(server.balances()).map(([c, b]) => [c, b.balance + b.locked])),
    dust: () => 1e-8,
  };
}

/**
 * The Binance test server's orders and balances. Binance takes a buy's commission in the coin, and
 * amounts move on the lot step: what a position can never sell (the commission, a step) is dust.
 */
export function binanceExchangeState(server: BinanceServer, markets: Readonly<Record<string, { base: string; quote: string; step: number }>>): ExchangeState {
  const orders = server.allOrders().map((o): AuditOrder => {
    const m = markets[o.symbol];
    return {
      id: String(o.orderId),
      clientId: o.clientOrderId,
      market: m ? `${m.base}/${m.quote}` : o.symbol,
      side: o.side === 'BUY' ? 'buy' : 'sell',
      amount: o.origQty,
      executed: o.executedQty,
      feeInBase: m ? o.fills.filter((f) => f.commissionAsset === m.base).reduce((a, f) => a + f.commission, 0) : 0,
      open: o.status === 'NEW' || o.status === 'PARTIALLY_FILLED',
      createdAt: o.time,
      closedAt: o.closedAt,
      trades: o.fills.map((f) => ({ id: String(f.id), amount: f.qty })),
    };
  });
  const steps = new Map(Object.values(markets).map((m) => [`${m.base}/${m.quote}`, m.step]));
  return {
    orders,
    balances: Object.fromEntries(Object.entries(server.balances()).map(([c, b]) => [c, b.free + b.locked])),
    dust: ({ market, bought }) => bought * 0.001 * 1.0001 + (steps.get(market) ?? 1e-8) + 1e-8,
  };
}

/** Position ids in the bot's Redis snapshots now (for `known`). */
export async function positionIds(redis: Redis, botId: string): Promise<string[]> {
  return redis.hkeys(`coinrx:${botId}:snapshots:position`);
}

/** The bot's side: its position snapshots and event log in Redis, its balances from summary.json. */
export async function readBotState(redis: Redis, botId: string, summaryPath?: string): Promise<BotState> {
  const snapshots = await redis.hgetall(`coinrx:${botId}:snapshots:position`);
  const positions = Object.entries(snapshots).map(([positionId, json]): AuditPosition => {
    const snapshot = JSON.parse(json) as { value: unknown; context: Omit<AuditPosition, 'state'> };
    const c = snapshot.context;
    return { positionId, market: c.market, state: typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value), boughtBefore: c.boughtBefore, soldBefore: c.soldBefore, buy: c.buy, sell: c.sell };
  });
  const fills: AuditFill[] = [];
  let cursor = '-';
  for (;;) {
    const page = await redis.xrange(`coinrx:${botId}:events`, cursor, '+', 'COUNT', 1000);
    for (const [, fields] of page) {
      const type = fields[fields.indexOf('t') + 1];
      if (type !== 'fill') continue;
      const f = JSON.parse(fields[fields.indexOf('d') + 1] as string) as AuditFill;
      fills.push({ clientId: f.clientId, orderId: f.orderId, amount: f.amount, ts: f.ts });
    }
    if (page.length < 1000) break;
    cursor = `(${(page[page.length - 1] as [string, string[]])[0]}`;
  }
  let balances: Record<string, number> | undefined;
  if (summaryPath !== undefined && existsSync(summaryPath)) {
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as { balances?: Record<string, { free: number; locked: number }> };
    if (summary.balances) balances = Object.fromEntries(Object.entries(summary.balances).map(([c, b]) => [c, b.free + b.locked]));
  }
  return { positions, fills, balances };
}
