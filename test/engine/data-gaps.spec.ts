import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, map, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { runBacktest } from '../../src/engine/backtest.js';
import { writeBacktestOutput } from '../../src/engine/backtest-output.js';
import { summaryLines } from '../../src/cli/commands/backtest-summary.js';
import { openReplay } from '../../src/market-data/index.js';
import type { Strategy, StrategyInput } from '../../strategies/index.js';

const START = Date.UTC(2024, 0, 1);
const STEP = 300_000;
const HOUR = 3_600_000;

/**
 * LIVE/USDT: 5m candles for three days. DEAD/USDT: the same, except the candles opening in `missing`
 * (a data gap) and every candle opening at or after `endsAt` (a delisting: its file ends early).
 */
function writeData(dead: { missing?: readonly [number, number]; endsAt?: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-data-gaps-'));
  for (const name of ['DEAD_USDT', 'LIVE_USDT']) {
    const rows = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 3 * 288; i++) {
      const t = START + i * STEP;
      if (name === 'DEAD_USDT' && ((dead.missing && t >= dead.missing[0] && t < dead.missing[1]) || (dead.endsAt !== undefined && t >= dead.endsAt))) continue;
      const price = name === 'DEAD_USDT' ? 50 + (i % 5) : 100;
      rows.push(`${t},${price},${price + 1},${price - 1},${price},1000`);
    }
    writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
  }
  return dir;
}

/** Buys DEAD/USDT once, two hours in, and never sells: the position is open until the end of the data. */
const buyDead: Strategy = (inputs) =>
  inputs.pipe(
    filter((i): i is Extract<StrategyInput, { kind: 'features' }> => i.kind === 'features' && i.ts >= START + 2 * HOUR && i.snapshots.some((s) => s.market === 'DEAD/USDT')),
    take(1),
    map((i) => ({ kind: 'BUY' as const, market: 'DEAD/USDT', ts: i.ts, reason: 'test' })),
  );

const config = parseConfig({ features: { every: '5m' }, filter: { minValue1d: 0, minTrades1d: 0 }, simulator: { fillModel: 'touch' } });

async function backtest(data: string) {
  const result = await runBacktest(openReplay([data]).batches(), config, { extras: { strategy: () => buyDead } });
  const out = mkdtempSync(join(tmpdir(), 'coinrx-data-gaps-out-'));
  await writeBacktestOutput(out, result, config);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
  return { result, summary, lines: summaryLines(result, undefined) };
}

describe('data gaps while a position is open', () => {
  it('a market whose data ends while the bot holds it (a delisting) is named with its last event time and the value at that stale price', async () => {
    const endsAt = START + 36 * HOUR;
    const { result, summary, lines } = await backtest(writeData({ endsAt }));
    expect(result.open.map((p) => [p.market, p.state])).toEqual([['DEAD/USDT', 'holding']]);
    const held = result.open[0]?.amount as number;
    expect(held).toBeGreaterThan(0);
    // The last DEAD candle opened 5 minutes before `endsAt` and closed at it; the run ends at LIVE's last close.
    const lastPrice = 50 + ((36 * 12 - 1) % 5);
    const runEnd = START + 3 * 288 * STEP;
    expect(summary['dataGaps']).toEqual({
      stalePositions: [
        { market: 'DEAD/USDT', positionId: result.open[0]?.positionId, state: 'holding', amount: held, lastEventTs: endsAt, lastEvent: new Date(endsAt).toISOString(), price: lastPrice, value: held * lastPrice, silentMs: runEnd - endsAt },
      ],
      holdingGaps: [],
    });
    expect(lines).toContain(`stale       1 open position(s) valued at a stale price: DEAD/USDT (no event since 2024-01-02T12:00:00.000Z, 1d 12h before the end: ${(held * lastPrice).toFixed(2)} USDT at its last price ${lastPrice})`);
  });

  it('a gap in a held market\'s data longer than five of its candles is counted for that market', async () => {
    // Three hours of DEAD's candles missing while it is held (bought two hours in); its data then goes on to the end.
    const { result, summary, lines } = await backtest(writeData({ missing: [START + 6 * HOUR, START + 9 * HOUR] }));
    expect(result.open.map((p) => p.market)).toEqual(['DEAD/USDT']);
    // The candle closing at 06:00 is followed by the one closing at 09:05.
    expect(summary['dataGaps']).toEqual({ stalePositions: [], holdingGaps: [{ market: 'DEAD/USDT', gaps: 1, longestMs: 3 * HOUR + STEP }] });
    expect(lines).toContain('gaps        while holding: DEAD/USDT 1 (longest 3h 5m)');
    expect(lines.some((l) => l.startsWith('stale'))).toBe(false);
  });

  it('without gaps or an early end, summary.json and the closing lines are as before: no dataGaps, no stale or gaps line', async () => {
    const { result, summary, lines } = await backtest(writeData({}));
    expect(result.open.map((p) => p.market)).toEqual(['DEAD/USDT']);
    expect(Object.keys(summary)).not.toContain('dataGaps');
    expect(result.dataGaps).toBeUndefined();
    expect(lines.some((l) => /^(stale|gaps) /.test(l))).toBe(false);
  });

  it('a gap in a market the bot does not hold is not counted', async () => {
    // DEAD's gap (1h 45m) is over before the buy, two hours in.
    const { summary } = await backtest(writeData({ missing: [START + 2 * STEP, START + HOUR + 50 * 60_000] }));
    expect(summary['dataGaps']).toBeUndefined();
  });
});

describe('a restored position whose market never trades again', () => {
  it('is reported stale from the checkpoint on: a restored price is at least as old as its checkpoint', async () => {
    const { Portfolio } = await import('../../src/engine/portfolio.js');
    const { dataGaps } = await import('../../src/engine/data-gaps.js');
    const { SilentVenue } = await import('../helpers/silent-venue.js');
    const checkpoint = START + 10 * HOUR;
    class Venue extends SilentVenue {
      lookupOrder(): void {}
    }
    const portfolio = new Portfolio(new Venue(), 'USDT', [['DEAD/USDT', 2]], HOUR, checkpoint);
    expect(portfolio.lastSeen('DEAD/USDT')?.ts).toBe(checkpoint);
    const held = { positionId: 'p1', market: 'DEAD/USDT', state: 'holding', amount: 50 } as unknown as Parameters<typeof dataGaps>[0][number];
    // Before: the restored price had no time, so the position was never reported, however long the market stayed silent.
    expect(dataGaps([held], (m) => portfolio.lastSeen(m), [], checkpoint + 3 * HOUR)?.stalePositions).toEqual([
      { market: 'DEAD/USDT', positionId: 'p1', state: 'holding', amount: 50, lastEventTs: checkpoint, price: 2, value: 100, silentMs: 3 * HOUR },
    ]);
    expect(dataGaps([held], (m) => portfolio.lastSeen(m), [], checkpoint + HOUR / 2)).toBeUndefined();
  });
});
