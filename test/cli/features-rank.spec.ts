import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WINDOWS } from '../../src/core/index.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';


/** Two coins of 5m candles over two days: one rising, one falling, made here so a fresh clone can run it. */
function writeCandles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-cli-'));
  const start = Date.UTC(2024, 0, 1);
  for (const [name, drift] of [['UP_KRW', 1.001], ['DOWN_KRW', 0.999]] as const) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 10_000;
    for (let i = 0; i < 576; i++) {
      const next = price * drift;
      rows.push(`${start + i * 300_000},${price},${Math.max(price, next) + 5},${Math.min(price, next) - 5},${next},${10 + (i % 7)}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
  }
  writeFileSync(join(dir, 'README.md'), 'not data');
  return dir;
}

describe('coinrx features and rank', () => {
  it('writes one JSON object per market and boundary with the documented fields', async () => {
    const dir = writeCandles();
    const { io, out, err } = captureIo();
    expect(await main(['features', '--data', dir, '--every', '1h'], io)).toBe(0);
    const lines = out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(2 * 48);
    const first = lines[0] as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['market', 'ts', 'price', 'windows', 'volatility', 'position', 'high', 'low', 'regime']);
    expect(Object.keys(first['windows'] as object)).toEqual([...WINDOWS]);
    expect(Object.keys((first['windows'] as Record<string, object>)['1m'] as object)).toEqual(['vwap', 'volume', 'value', 'trades']);
    expect(Object.keys(first['regime'] as object)).toEqual(['1h', '6h', '12h', '24h']);
    const last = lines.filter((l) => l['market'] === 'UP/KRW').at(-1) as { regime: Record<string, string>; windows: Record<string, { trades: number }> };
    expect(last.regime['6h']).toBe('bull');
    expect(last.windows['1d']?.trades).toBe(288);
    expect(lines.filter((l) => l['market'] === 'DOWN/KRW').at(-1)?.['regime']).toMatchObject({ '6h': 'bear' });
    expect(err()).toContain('read 1152 events from 2 file(s)');
  });

  it('writes the ranking when it changes, best first', async () => {
    const dir = writeCandles();
    const { io, out } = captureIo();
    expect(await main(['rank', '--data', dir, '--every', '1h', '--top', '1'], io)).toBe(0);
    const lines = out().trim().split('\n').map((l) => JSON.parse(l) as { ts: number; ranking: { market: string; score: number }[] });
    expect(lines.at(-1)?.ranking.map((r) => r.market)).toEqual(['UP/KRW']);
    for (const line of lines) expect(Object.keys(line)).toEqual(['ts', 'ranking']);
  });

  it('fails at start, exit 2, naming the bad field or flag', async () => {
    const dir = writeCandles();
    const bad = captureIo();
    expect(await main(['features', '--data', dir, '--set', 'features.staleAfter=-5'], bad.io)).toBe(2);
    expect(bad.err()).toContain('features.staleAfter');
    const flag = captureIo();
    expect(await main(['rank', '--data', dir, '--top', 'many'], flag.io)).toBe(2);
    expect(flag.err()).toContain('--top must be a positive integer');
    const none = captureIo();
    expect(await main(['features'], none.io)).toBe(2);
    expect(none.err()).toContain('--data is required');
  });
});
