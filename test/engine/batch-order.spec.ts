import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

/**
 * A bar that closes a feature batch spans the time after the batch's moment: the batch's decisions must not
 * see it, and neither may the exchange their orders reach (TradingEngine.onMarketEvent). Matched before the
 * decisions, that bar gave the first market in the files' order a fresher price than the others, and on
 * candles longer than the buy timeout only that market's buys could ever fill. Two coins with the same
 * candles under two names must trade alike, whatever their order. (A point event that closes a batch
 * happened before the decision and is matched first: test/cli/paper.spec.ts pins that order.)
 */
function twinCandles(names: readonly string[], timeframe: '1h' | '5m'): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-twins-'));
  const step = timeframe === '1h' ? 3_600_000 : 300_000;
  const rows = ['timestamp,open,high,low,close,volume'];
  let price = 10_000;
  for (let i = 0; i < 600; i++) {
    const next = 10_000 * (1 + 0.06 * Math.sin(i / 9) + 0.02 * Math.sin(i / 2.3));
    rows.push(`${Date.UTC(2024, 0, 1) + i * step},${price},${Math.max(price, next) * 1.004},${Math.min(price, next) * 0.996},${next},${1000 + ((i * 7) % 13) * 100}`);
    price = next;
  }
  for (const name of names) writeFileSync(join(dir, `${name}_KRW-${timeframe}.csv`), `${rows.join('\n')}\n`);
  return dir;
}

const PROFILE = JSON.stringify({
  features: { every: '1h', staleAfter: '1d' },
  filter: { minValue1d: 0, minTrades1d: 0 },
  ranking: { top: 2 },
  strategy: { buyTimeout: '30m', skipBearMarket: false, takeProfit: 0.03, stopLoss: 0.03, gate: { edge: false, regimeMin: -1, riskPerTrade: 0 } },
  allocation: { maxPositions: 2, maxPerCoin: 0.4 },
});

describe('a batch closed by an event: the decisions and the exchange see the same moment for every market', () => {
  it.each([
    ['1h candles, longer than the buy timeout', '1h'],
    ['5m candles', '5m'],
  ] as const)('%s: two coins with the same candles trade alike', async (_name, timeframe) => {
    const data = twinCandles(['AAA', 'BBB'], timeframe);
    const config = join(mkdtempSync(join(tmpdir(), 'coinrx-twins-config-')), 'profile.json');
    writeFileSync(config, PROFILE);
    const out = mkdtempSync(join(tmpdir(), 'coinrx-twins-run-'));
    const c = captureIo();
    expect(await main(['backtest', '--data', data, '--config', config, '--out', out], c.io), c.err()).toBe(0);
    const [header, ...rows] = readFileSync(join(out, 'trades.csv'), 'utf8').trim().split('\n');
    const col = (header as string).split(',');
    const trades = rows.map((r) => r.split(','));
    const of = (market: string): string[] => trades.filter((t) => t[col.indexOf('market')] === market).map((t) => ['opened', 'closed', 'entry_price', 'exit_price', 'reason'].map((k) => t[col.indexOf(k)]).join(' '));
    expect(of('AAA/KRW').length).toBeGreaterThan(3);
    expect(of('BBB/KRW')).toEqual(of('AAA/KRW'));
  });
});
