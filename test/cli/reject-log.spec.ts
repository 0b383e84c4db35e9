import { describe, expect, it } from 'vitest';
import { RejectLog } from '../../src/cli/commands/reject-log.js';
import { ExchangeBannedError } from '../../src/net/rate-limiter.js';

const banned = (clientId: string, until: number) =>
  ({ type: 'order.rejected', ts: 0, clientId, market: 'BTC/USDT', side: 'buy', reason: 'banned', message: new ExchangeBannedError(until).message }) as const;

describe('RejectLog', () => {
  it('says a ban once, though orders in flight answered 418 one after another move its end by milliseconds; a later ban is said again', () => {
    const log = new RejectLog('live');
    const t = Date.UTC(2026, 0, 1, 12, 0, 0, 100);
    const lines = [banned('a', t), banned('b', t + 7), banned('c', t + 250), banned('d', t + 60_000)].map((e) => log.line(e));
    expect(lines.map((l) => l !== undefined)).toEqual([true, false, false, true]);
    expect(lines[0]).toContain('blocked until 2026-01-01T12:00:00.100Z');
    expect(log.bannedRejects).toBe(4);
  });
});
