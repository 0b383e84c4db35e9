import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

const START = Date.UTC(2024, 0, 1);

/**
 * Two coins of 5m candles over three days (2024-01-01 … 2024-01-03; an event's time is its candle's close), made
 * here so a fresh clone can run it. `wave` puts a slow wave, out of phase between the coins, on the drift so
 * their order changes now and then; without it UP stays first and the ranking never changes.
 */
function writeCandles(wave = 0): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-range-'));
  for (const [name, drift, phase] of [['UP_USDT', 1.001, 0], ['DOWN_USDT', 0.999, Math.PI]] as const) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 100;
    for (let i = 0; i < 3 * 288; i++) {
      const next = price * (wave === 0 ? drift : 1 + wave * Math.sin(i / 40 + phase));
      rows.push(`${START + i * 300_000},${price},${Math.max(price, next) * 1.001},${Math.min(price, next) * 0.999},${next},${10 + (i % 7)}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
  }
  return dir;
}

const lines = (text: string): Record<string, unknown>[] => text.trim().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('--timerange on features and rank', () => {
  it('features: only snapshots inside the range, identical to those of the whole run (warmed up by the earlier events)', async () => {
    const dir = writeCandles();
    const all = captureIo();
    expect(await main(['features', '--data', dir, '--every', '1h'], all.io)).toBe(0);
    const cut = captureIo();
    // The second day only: 2024-01-02 is included to its end.
    expect(await main(['features', '--data', dir, '--every', '1h', '--timerange', '20240102-20240102'], cut.io)).toBe(0);
    const inside = lines(cut.out());
    const from = Date.UTC(2024, 0, 2);
    const to = Date.UTC(2024, 0, 3);
    expect(inside.length).toBe(2 * 24);
    expect(inside.every((s) => (s['ts'] as number) >= from && (s['ts'] as number) < to)).toBe(true);
    expect(inside).toEqual(lines(all.out()).filter((s) => (s['ts'] as number) >= from && (s['ts'] as number) < to));
  });

  /**
   * A ranking is written when it changes: with the warm-up, the run inside a range writes the whole run's
   * ranking in force at the range's start (its last one before the range, with its own time, unless one is set
   * at the start itself), then exactly the whole run's rankings inside the range.
   */
  const expectCutEqualsWhole = async (dir: string, whole: Record<string, unknown>[], ranges: readonly (readonly [string, string, number, number, number])[]): Promise<void> => {
    for (const [fromText, toText, from, to, changes] of ranges) {
      const cut = captureIo();
      expect(await main(['rank', '--data', dir, '--every', '1h', '--top', '1', '--from', fromText, '--to', toText], cut.io), cut.err()).toBe(0);
      const inside = whole.filter((r) => (r['ts'] as number) >= from && (r['ts'] as number) < to);
      const inForce = inside[0]?.['ts'] === from ? [] : whole.filter((r) => (r['ts'] as number) < from).slice(-1);
      expect(inside.length, `${fromText} - ${toText}`).toBe(changes);
      expect(lines(cut.out()), `${fromText} - ${toText}`).toEqual([...inForce, ...inside]);
    }
  };

  it('rank: --from/--to write the ranking in force at the start, then the changes; a bad value is one usage line naming the flag', async () => {
    const dir = writeCandles();
    const all = captureIo();
    expect(await main(['rank', '--data', dir, '--every', '1h', '--top', '1'], all.io)).toBe(0);
    const whole = lines(all.out());
    // UP leads throughout: one ranking, set in the first hour.
    expect(whole).toHaveLength(1);
    await expectCutEqualsWhole(dir, whole, [
      ['2024-01-01', '2024-01-01T12:00Z', Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1, 12), 1],
      // No change inside: the ranking set on the first day is written, with its own time.
      ['2024-01-02T06:00Z', '2024-01-03', Date.UTC(2024, 0, 2, 6), Date.UTC(2024, 0, 4), 0],
    ]);
    const bad = captureIo();
    expect(await main(['rank', '--data', dir, '--timerange', '2024-13-01'], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/^coinrx rank: --timerange: "2024-13-01" is not a range/);
    expect(bad.err().trim().split('\n')).toHaveLength(1);
  });

  it('rank: the same on coins whose order changes, with a range where it does not change and one starting at a change', async () => {
    const dir = writeCandles(0.002);
    const all = captureIo();
    expect(await main(['rank', '--data', dir, '--every', '1h', '--top', '1'], all.io)).toBe(0);
    const whole = lines(all.out());
    expect(whole.length).toBeGreaterThan(3);
    const second = whole[1]?.['ts'] as number;
    const third = whole[2]?.['ts'] as number;
    const iso = (ts: number): string => new Date(ts).toISOString();
    await expectCutEqualsWhole(dir, whole, [
      ['2024-01-02', '2024-01-02', Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3), whole.filter((r) => (r['ts'] as number) >= Date.UTC(2024, 0, 2) && (r['ts'] as number) < Date.UTC(2024, 0, 3)).length],
      // Starts at a change: that ranking alone, not the one before it as well.
      [iso(second), iso(second + 3_600_000), second, second + 3_600_000, 1],
      // Strictly between two changes: only the one in force.
      [iso(second + 3_600_000), iso(third), second + 3_600_000, third, 0],
    ]);
  });

  it('backtest: the range is traded, the summary says so, and a range outside the data is one usage line', async () => {
    const dir = writeCandles();
    const out = mkdtempSync(join(tmpdir(), 'coinrx-range-bt-'));
    const run = captureIo();
    expect(await main(['backtest', '--data', dir, '--timerange', '20240102-', '--set', 'features.every=5m', '--set', 'bot.dailyLossLimit=0.002', '--out', out], run.io)).toBe(0);
    // The two candles opening at 23:55 on Jan 1 (closing at the range's start) only warm up: a candle is in the range when it opens there.
    expect(run.out()).toMatch(/span {8}2024-01-02T00:00:00.000Z → 2024-01-04T00:00:00.000Z \(1728 events, quote USDT; 576 events before the range only warmed the features up\)/);
    // The results tables follow the statistics.
    expect(run.out()).toMatch(/\nmarket {6}buy-and-hold of the 2 USDT coins [+-]\d+\.\d\d%; the bot [+-]\d+\.\d\d% \([+-]\d+\.\d\d% against it\)\n/);
    expect(run.out()).toMatch(/\nhalts {7}1\n {2}2024-01-02 05:45 {2}kill-switch: daily loss limit \(ran again 2024-01-03 00:00\)\n/);
    expect(run.out()).toMatch(/\ndecisions {3}BUY \d+: \d+ acted on, \d+ suppressed \(/);
    expect(run.out()).toMatch(/\ndays\n {14}equity start  equity end  return  trades  win rate  +P&L\n  2024-01-02 /);
    const summary = JSON.parse((await import('node:fs')).readFileSync(join(out, 'summary.json'), 'utf8')) as { range: Record<string, unknown>; results: { market: { markets: number }; halts: unknown[]; daily: { period: string }[] } };
    expect(summary.range).toEqual({ from: '2024-01-02T00:00:00.000Z', to: null, fromMs: Date.UTC(2024, 0, 2), toMs: null, endExclusive: true, warmupEvents: 576 });
    expect(summary.results.market.markets).toBe(2);
    expect(summary.results.halts).toEqual([{ ts: Date.UTC(2024, 0, 2, 5, 45), reason: 'kill-switch: daily loss limit', resumedTs: Date.UTC(2024, 0, 3) }]);
    expect(summary.results.daily.map((d) => d.period)).toEqual(['2024-01-02', '2024-01-03', '2024-01-04']);
    const outside = captureIo();
    expect(await main(['backtest', '--data', dir, '--timerange', '20250101-', '--out', out], outside.io)).toBe(2);
    expect(outside.err()).toMatch(/\ncoinrx backtest: no event of the data falls in the time range \(2025-01-01T00:00:00.000Z to end\); the data starts 2024-01-01T00:05:00.000Z/);
  });

  it('features and rank: a range the data never reaches is one line saying where the data lies, as in a backtest, not a file of nothing or of the last ranking', async () => {
    const dir = writeCandles(0.01);
    for (const range of [['--from', '2025-01-01', '--to', '2025-01-03'], ['--to', '2023-12-31']]) {
      for (const command of ['features', 'rank']) {
        const run = captureIo();
        expect(await main([command, '--data', dir, '--every', '1h', ...range], run.io), `${command} ${range.join(' ')}`).toBe(1);
        expect(run.err()).toMatch(/^coinrx (features|rank): no event of the data falls in the time range \(.*\); the data starts 2024-01-01T00:05:00.000Z and was read up to 2024-01-0\d/m);
        expect(run.out()).toBe('');
      }
    }
  });
});
