import { describe, expect, it } from 'vitest';
import { auditFaults, auditLine, type AuditOrder, type AuditPosition, type BotState, type ExchangeState } from '../helpers/fault-audit.js';

/** The audit itself: each count is raised by the fault it names, and by nothing else. */

const P = 'bot-';

function order(clientId: string, o: Partial<AuditOrder> = {}): AuditOrder {
  const executed = o.executed ?? 0;
  return { id: `x-${clientId}`, clientId, market: 'XRP/KRW', side: clientId.endsWith('b1') ? 'buy' : 'sell', amount: 100, executed, open: false, createdAt: 0, closedAt: 1, trades: executed > 0 ? [{ id: `t-${clientId}`, amount: executed }] : [], ...o };
}

function position(positionId: string, p: Partial<AuditPosition> = {}): AuditPosition {
  return { positionId, market: 'XRP/KRW', state: 'holding', boughtBefore: 0, soldBefore: 0, buy: undefined, sell: undefined, ...p };
}

function exchange(orders: AuditOrder[], balances: Record<string, number> = {}): ExchangeState {
  return { orders, balances, dust: () => 1e-8 };
}

function bot(b: Partial<BotState> = {}): BotState {
  return { positions: [], fills: [], balances: undefined, ...b };
}

const fill = (clientId: string, amount: number, ts = 0): BotState['fills'][number] => ({ clientId, orderId: `x-${clientId}`, amount, ts });

describe('fault audit', () => {
  it('a round trip recorded once and settled counts nothing', () => {
    const orders = [order('bot-a-1-b1', { executed: 100 }), order('bot-a-1-s1', { executed: 100, createdAt: 2, closedAt: 3 })];
    const r = auditFaults(exchange(orders, { KRW: 5, XRP: 0 }), bot({ fills: [fill('bot-a-1-b1', 60), fill('bot-a-1-b1', 40), fill('bot-a-1-s1', 100)], balances: { KRW: 5 } }), { clientPrefix: P, known: ['bot-a-1'] });
    expect(r.counts).toEqual({ duplicateOrders: 0, lostFills: 0, fillsRecordedTwice: 0, lostPositions: 0, abandonedPositions: 0, balanceMismatches: 0, ownCalledForeign: 0 });
    expect(auditLine('x', r.counts)).toBe('fault audit x: duplicateOrders=0 lostFills=0 fillsRecordedTwice=0 lostPositions=0 abandonedPositions=0 balanceMismatches=0 ownCalledForeign=0');
  });

  it('counts a fill replayed after a restart, and a trade never recorded', () => {
    const orders = [
      order('bot-a-1-b1', { executed: 100, trades: [{ id: 't1', amount: 50 }, { id: 't2', amount: 50 }] }),
      order('bot-a-1-s1', { executed: 100, createdAt: 2, closedAt: 3, trades: [{ id: 't3', amount: 30 }, { id: 't4', amount: 70 }] }),
    ];
    const r = auditFaults(exchange(orders), bot({ fills: [fill('bot-a-1-b1', 100, 1), fill('bot-a-1-b1', 100, 2), fill('bot-a-1-s1', 30), fill('bot-z-1-b1', 5)] }), { clientPrefix: P });
    expect(r.counts.fillsRecordedTwice).toBe(2); // the replayed 100, and a record of an order the exchange never had
    expect(r.counts.lostFills).toBe(1); // the 70 of t4
    expect(r.findings).toContain('lostFills: bot-a-1-s1: trade t4 of 70 XRP/KRW (executed 100, recorded 30)');
  });

  it('counts a second buy beside a resting one, and a client id used twice', () => {
    const orders = [
      order('bot-a-1-b1', { open: true, closedAt: undefined }),
      order('bot-b-1-b1', { createdAt: 5, open: true, closedAt: undefined }),
      order('bot-c-1-b1', { market: 'ADA/KRW', createdAt: 0, closedAt: 2 }),
      order('bot-c-1-b1', { id: 'again', market: 'ADA/KRW', createdAt: 3, closedAt: 4 }),
      // after the first closed: not a duplicate
      order('bot-d-1-b1', { market: 'TRX/KRW', createdAt: 0, closedAt: 2 }),
      order('bot-e-1-b1', { market: 'TRX/KRW', createdAt: 3, closedAt: 4 }),
    ];
    const positions = [position('bot-a-1', { state: 'buying', buy: { clientId: 'bot-a-1-b1', filled: 0 } }), position('bot-b-1', { state: 'buying', buy: { clientId: 'bot-b-1-b1', filled: 0 } })];
    const r = auditFaults(exchange(orders), bot({ positions }), { clientPrefix: P });
    expect(r.counts.duplicateOrders).toBe(2);
  });

  it('counts a position gone from Redis with coins, and an order no position manages', () => {
    const orders = [order('bot-a-1-b1', { executed: 100 }), order('bot-b-1-b1', { market: 'ADA/KRW', open: true, closedAt: undefined }), order('bot-c-1-b1', { market: 'TRX/KRW' })];
    const r = auditFaults(exchange(orders), bot({ fills: [fill('bot-a-1-b1', 100)] }), { clientPrefix: P, known: ['bot-a-1', 'bot-c-1'] });
    expect(r.counts.lostPositions).toBe(1); // a: known, 100 held, gone; c: cancelled with nothing bought
    expect(r.counts.abandonedPositions).toBe(2); // a's coins and b's resting buy
  });

  it('counts a managed position whose amounts differ from its orders, a balance that differs, and own coins called foreign', () => {
    const orders = [order('bot-a-1-b1', { executed: 100 }), order('bot-a-1-s1', { executed: 40, open: true, createdAt: 2, closedAt: undefined })];
    const positions = [position('bot-a-1', { state: 'selling', boughtBefore: 100, sell: { clientId: 'bot-a-1-s1', filled: 0 } })];
    const fills = [fill('bot-a-1-b1', 100), fill('bot-a-1-s1', 40)];
    const reports = "live: restored the bot and 1 position(s)\nlive: reconciliation: 60 XRP held outside the bot's positions; left untouched\n";
    const r = auditFaults(exchange(orders, { KRW: 1000, XRP: 60 }), bot({ positions, fills, balances: { KRW: 1000, XRP: 100 } }), { clientPrefix: P, reports });
    expect(r.counts.balanceMismatches).toBe(2); // sold 0 against 40, and 100 XRP against 60
    expect(r.counts.ownCalledForeign).toBe(1);
    expect(r.counts.abandonedPositions).toBe(0);
  });
});
