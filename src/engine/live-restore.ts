import type { Order } from '../core/index.js';
import { createActor } from 'xstate';
import { botMachine, initialPositionContext, positionMachine, type OrderSlot, type PositionContext } from '../../machines/index.js';
import type { Config } from '../config.js';
import { waitHealthy, type Store } from '../store/index.js';
import { FillLedger, type FillRecord, type OrderLedgerEntry } from './fill-ledger.js';
import { positionIdOf, type EngineCheckpoint } from './trading-engine.js';

interface PersistedBot {
  readonly value: unknown;
  readonly context: Record<string, unknown> & { readonly positions: Record<string, unknown> };
  readonly children: Record<string, { readonly snapshot: unknown; readonly src: string }>;
  readonly [key: string]: unknown;
}

/**
 * A live engine's restart point, from what it wrote to the store: the bot's snapshot (written once per
 * feature batch) with its position children replaced by their own snapshots (written on every
 * transition, so newer); a position whose snapshot is gone has settled and is dropped, one written
 * after the bot's last snapshot is added. Undefined when the store holds no bot. The exchange part is
 * absent: a live exchange keeps its own state, and the restored orders are looked up there.
 */
export async function liveCheckpoint(store: Store, now: number): Promise<EngineCheckpoint | undefined> {
  const botJson = (await store.loadSnapshots('bot')).get('bot');
  if (botJson === undefined) return undefined;
  const bot = JSON.parse(botJson) as PersistedBot;
  const positions = await store.loadSnapshots('position');
  const children: PersistedBot['children'] = {};
  const refs: Record<string, unknown> = {};
  for (const [id, json] of [...positions].sort(([a], [b]) => (a < b ? -1 : 1))) {
    children[id] = { src: bot.children[id]?.src ?? 'position', snapshot: JSON.parse(json) as unknown };
    refs[id] = { xstate$$type: 1, id };
  }
  return {
    v: 1,
    ts: now,
    seq: 0,
    decisions: 0,
    lastPrice: [],
    regimeAtEntry: {},
    settled: [],
    results: [],
    bot: { ...bot, children, context: { ...bot.context, positions: refs } },
    sentEquityTs: null,
  };
}

/** The store did not answer within the wait: a live restart never trades on a restore that did not happen. */
export class StoreUnavailableError extends Error {}

export interface LoadRestoreOptions {
  /** How long to wait for the store (default 60 s). */
  readonly timeoutMs?: number;
  /** One line every few seconds while waiting: where and how long is left. */
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

/**
 * Step 1 of a live restart: the last checkpoint in the store, waiting for the store with a visible
 * countdown. Undefined only when the store answered and holds no bot (a first start); a store that does
 * not answer within `timeoutMs` throws `StoreUnavailableError`: starting empty would abandon every
 * position and order the bot had and open new ones beside them.
 */
export async function loadLiveRestore(store: Store, options: LoadRestoreOptions = {}): Promise<EngineCheckpoint | undefined> {
  if (store.backend !== 'redis') return undefined;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const now = options.now ?? Date.now;
  const deadline = now() + timeoutMs;
  const step = 5_000;
  while (!(await waitHealthy(store, Math.max(1, Math.min(step, deadline - now()))))) {
    const left = deadline - now();
    if (left <= 0) throw new StoreUnavailableError(`the store does not answer (${store.health.reason}) after ${Math.round(timeoutMs / 1000)} s; not trading without the restore of the bot's positions (start Redis, or give the store more time with --set redis.restoreWaitMs=…)`);
    options.log?.(`waiting for the store (${store.health.reason}): ${Math.ceil(left / 1000)} s left before giving up`);
  }
  return liveCheckpoint(store, now());
}

/** Every order slot of the restored positions (what the adapter is seeded with, and what is looked up). */
export function restoredOrders(checkpoint: EngineCheckpoint | undefined): { market: string; slot: OrderSlot }[] {
  return restoredPositions(checkpoint).flatMap((c) => [c.buy, c.sell].filter((s): s is OrderSlot => s !== undefined).map((slot) => ({ market: c.market, slot })));
}

/** The position contexts of a checkpoint's bot. */
export function restoredPositions(checkpoint: EngineCheckpoint | undefined): PositionContext[] {
  const children = (checkpoint?.bot as { children?: Record<string, { snapshot: { context: PositionContext } }> } | undefined)?.children ?? {};
  return Object.values(children).map((c) => c.snapshot.context);
}

/** The fills and orders already recorded in the store, so none is recorded twice after a restart. */
export async function loadFillLedger(store: Store): Promise<FillLedger> {
  if (store.backend !== 'redis') return new FillLedger();
  const fills = await store.loadSnapshots('fill');
  const orders = await store.loadSnapshots('order');
  return new FillLedger(
    fills.keys(),
    [...orders.values()].map((json) => JSON.parse(json) as OrderLedgerEntry),
    [...fills.values()].map((json) => JSON.parse(json) as FillRecord),
  );
}

/**
 * Orders of this bot (client id `${botId}-…`) resting on the exchange that no restored position knows:
 * the bot was killed after placing them but before their position's snapshot reached the store. Each is
 * adopted into the checkpoint before the engine is built — a buy into a new position in `buying` (or
 * the position of the same id still `idle`), a sell into its `holding` position, now `selling` — with the
 * order as placed and nothing filled, so the look-ups of the restart apply every fill once. Returns the
 * checkpoint to build from and one line per order.
 */
export function adoptOrphanOrders(
  checkpoint: EngineCheckpoint | undefined,
  orders: { readonly open: readonly Order[]; readonly closed: readonly Order[] },
  options: { readonly config: Config; readonly ackTimeoutMs: number; readonly now: number; readonly ledger?: FillLedger },
): { checkpoint: EngineCheckpoint | undefined; lines: string[] } {
  const { botId } = options.config;
  const buyTimeoutMs = options.config.strategy.buyTimeout;
  const known = new Set(restoredOrders(checkpoint).map((o) => o.slot.clientId));
  const ours = (o: Order): boolean => o.clientId.startsWith(`${botId}-`) && !known.has(o.clientId) && /-[bs]\d+$/.test(o.clientId);
  // A closed order matters when it executed something and nothing of it was ever recorded (else its position knew it and has settled).
  const orphans = [...orders.open.filter(ours), ...orders.closed.filter((o) => ours(o) && o.filled > 0 && !options.ledger?.knows(o.clientId))];
  if (orphans.length === 0) return { checkpoint, lines: [] };
  const bot = (checkpoint?.bot ?? freshBotSnapshot(options.config)) as PersistedBot;
  const children: Record<string, { snapshot: unknown; src: string }> = { ...bot.children };
  const refs: Record<string, unknown> = { ...bot.context.positions };
  const lines: string[] = [];
  for (const order of orphans) {
    const positionId = positionIdOf(order.clientId);
    const n = Number(order.clientId.slice(order.clientId.lastIndexOf('-') + 2));
    const slot: OrderSlot = { side: order.side, clientId: order.clientId, id: order.id, price: order.price, amount: order.amount, filled: 0, cost: 0, fee: 0, submittedTs: order.ts || options.now, acked: true };
    const existing = children[positionId]?.snapshot as { value: string; context: PositionContext } | undefined;
    let value: string;
    let context: PositionContext;
    if (order.side === 'buy' && (existing === undefined || (existing.value === 'idle' && !existing.context.buy))) {
      const base = existing?.context ?? initialPositionContext({ positionId, market: order.market, ackTimeoutMs: options.ackTimeoutMs, buyTimeoutMs });
      context = Object.assign({}, base, { buy: slot, orderCount: Math.max(base.orderCount, n), openedTs: base.openedTs ?? slot.submittedTs, lastTs: Math.max(base.lastTs, slot.submittedTs) });
      value = 'buying';
    } else if (order.side === 'sell' && existing?.value === 'holding' && !existing.context.sell) {
      context = Object.assign({}, existing.context, { sell: slot, orderCount: Math.max(existing.context.orderCount, n), lastTs: Math.max(existing.context.lastTs, slot.submittedTs) });
      value = 'selling';
    } else {
      lines.push(`${order.clientId} (${order.side} ${order.amount} ${order.market}) is this bot's but fits no restored position (${existing ? existing.value : 'none'}); left untouched`);
      continue;
    }
    const snapshot = positionMachine.getPersistedSnapshot(positionMachine.resolveState({ value, context }));
    children[positionId] = { src: children[positionId]?.src ?? 'position', snapshot };
    refs[positionId] = { xstate$$type: 1, id: positionId };
    lines.push(`${order.clientId}: ${order.status === 'open' ? 'resting on the exchange' : `${order.status} on the exchange`} but unknown to the snapshots (killed before they were written): adopted by ${positionId}, now ${value}`);
  }
  const adopted = { ...bot, children, context: { ...bot.context, positions: refs } };
  const base: EngineCheckpoint = checkpoint ?? { v: 1, ts: options.now, seq: 0, decisions: 0, lastPrice: [], regimeAtEntry: {}, settled: [], results: [], bot: adopted, sentEquityTs: null };
  return { checkpoint: { ...base, bot: adopted }, lines };
}

/** A started bot's persisted snapshot (no positions): the base when the store holds no bot yet. */
function freshBotSnapshot(config: Config): unknown {
  const actor = createActor(botMachine, { input: { botId: config.botId, dailyLossLimit: config.bot.dailyLossLimit, maxDrawdown: config.bot.maxDrawdown, onStop: config.bot.onStop } });
  actor.start();
  actor.send({ type: 'bot.start' });
  const snapshot = actor.getPersistedSnapshot();
  actor.stop();
  return snapshot;
}

/**
 * Event time of the last portfolio snapshot the bot wrote (once per feature batch), if any: an order of
 * this bot created after it may be unknown to every snapshot; one created well before it is not (its
 * position was written, and deleted only once settled).
 */
export async function lastSnapshotTs(store: Store): Promise<number | undefined> {
  if (store.backend !== 'redis') return undefined;
  const json = (await store.loadSnapshots('portfolio')).get('portfolio');
  const ts = json ? (JSON.parse(json) as { ts?: unknown }).ts : undefined;
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined;
}
