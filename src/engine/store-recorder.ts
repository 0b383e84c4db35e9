import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import type { PositionResult } from '../../machines/index.js';
import { FillLedger, type FillRecord } from './fill-ledger.js';
import { positionIdOf, type EngineListener, type TradingEngine } from './trading-engine.js';

/** The models in use, as configured (`ranking.model`, `strategy.agent`); absent: the built-in ones. */
export interface ActiveModels {
  readonly ranking?: string;
  readonly strategy?: string;
}

/** The configured models, as `recordToStore` records them. */
export function activeModels(config: Config): ActiveModels {
  return { ...(config.ranking.model ? { ranking: config.ranking.model } : {}), ...(config.strategy.agent ? { strategy: config.strategy.agent } : {}) };
}

/**
 * Writes what the engine does to the store: the portfolio once per feature batch, the active models, every position actor's persisted snapshot on every
 * transition (deleted once settled), the bot's snapshot once per feature batch, every decision, order
 * command, order event and fill to the event log, and the monitor channels (ranking, decisions,
 * positions, fills, stats). Writes never wait: the store batches them (see src/store/store.ts).
 */
export function recordToStore(engine: TradingEngine, store: Store, models: ActiveModels = {}, ledger: FillLedger = new FillLedger()): EngineListener {
  // What decides: the ranking model and the RL agent in use (folders of `ranking.model` / `strategy.agent`).
  store.putSnapshot('model', 'active', JSON.stringify({ ranking: models.ranking ?? 'heuristic', strategy: models.strategy ?? 'rules' }));
  const listener: EngineListener = {
    onDecision(d) {
      store.appendEvent({ type: 'decision', ts: d.ts, data: d });
      store.publish('decisions', { ts: d.ts, kind: d.kind, market: d.market, reason: d.reason, ...(d.score !== undefined ? { score: d.score } : {}), ...(d.price !== undefined ? { price: d.price } : {}) });
    },
    onOrderCommand(c) {
      store.appendEvent({ type: 'order.command', ts: c.ts, data: c });
    },
    onOrderEvent(e) {
      if (e.type === 'order.rejected') {
        store.appendEvent({ type: 'order.event', ts: e.ts, data: e });
        return;
      }
      // Exactly once: a fill already recorded (reported again by another source or after a restart) is a no-op.
      const { entry, fill, id } = ledger.take(e);
      if (fill === 'replay') return;
      store.appendEvent({ type: 'order.event', ts: e.ts, data: e });
      store.putSnapshot('order', entry.clientId, JSON.stringify(entry));
      if (e.type === 'order.feeCorrected') {
        // The fee the exchange gave for fills recorded at an estimate: the order's last fill record carries the
        // difference (the amounts stay), so the fill records' fees add up to the exchange's; the ledger has the
        // records written before a restart too.
        const last = ledger.lastFill(e.order.id);
        if (last) {
          const corrected = { ...last, fee: last.fee + e.delta };
          ledger.noteFill(corrected);
          store.putSnapshot('fill', corrected.id, JSON.stringify(corrected));
        }
        return;
      }
      if (fill !== 'new' || e.type !== 'order.fill' || id === undefined) return;
      const f = e.fill;
      const record: FillRecord = { id, orderId: f.orderId, clientId: f.clientId, market: f.market, side: f.side, price: f.price, amount: f.amount, fee: f.fee, ts: f.ts, executed: e.order.filled };
      ledger.noteFill(record);
      store.putSnapshot('fill', id, JSON.stringify(record));
      store.appendEvent({ type: 'fill', ts: f.ts, data: record });
      store.publish('fills', { ts: f.ts, id, positionId: positionIdOf(f.clientId), orderId: f.orderId, clientId: f.clientId, market: f.market, side: f.side, price: f.price, amount: f.amount, fee: f.fee });
    },
    onPositionTransition(t) {
      if (t.to === 'settled') store.deleteSnapshot('position', t.positionId);
      else store.putSnapshot('position', t.positionId, JSON.stringify(t.snapshot));
      if (t.from === t.to) return;
      // A settled actor's snapshot carries its result: the message gets the round trip's P&L.
      const result = t.to === 'settled' ? (t.snapshot as { output?: PositionResult }).output : undefined;
      store.publish('positions', {
        ts: t.ts,
        positionId: t.positionId,
        market: t.market,
        ...(t.from !== undefined ? { from: t.from } : {}),
        state: t.to,
        event: t.event,
        amount: result ? result.amount : t.view.amount,
        entryPrice: result ? result.entryPrice : t.view.entryPrice,
        ...(result ? { pnl: result.pnl, reason: result.reason } : {}),
      });
    },
    onRanking(r) {
      store.publish('ranking', { ts: r.ts, ranking: r.ranking.map((e) => ({ market: e.market, score: e.score })) });
    },
    onEquity(ts, equity, invested) {
      store.putSnapshot('bot', 'bot', JSON.stringify(engine.persistedBot()));
      store.putSnapshot('portfolio', 'portfolio', JSON.stringify({ ts, equity, invested, balances: engine.balances() }));
      store.publish('stats', { ts, equity, invested, openPositions: engine.openPositions().length, closedPositions: engine.results.length });
    },
  };
  engine.listen(listener);
  return listener;
}
