import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

const here = new URL('.', import.meta.url).pathname;
const EXPECTED = join(here, 'expected.json');

interface Golden {
  readonly trades: number;
  readonly fees: string;
  readonly finalEquity: string;
  readonly halts: readonly { readonly ts: string; readonly reason: string }[];
  /** Every round trip: position, market, opened, closed, amount, entry, exit, fees, P&L, reason. */
  readonly exits: readonly string[];
}

/** Money to the unit (KRW has no smaller one shown) and prices as written: a behaviour change shows as a diff. */
function golden(out: string): Golden {
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { statistics: { trades: number; feesPaid: number; finalEquity: number }; results: { halts: { ts: number; reason: string }[] } };
  const [header, ...rows] = readFileSync(join(out, 'trades.csv'), 'utf8').trim().split('\n');
  const col = (header as string).split(',');
  const at = (row: string[], name: string): string => row[col.indexOf(name)] as string;
  return {
    trades: summary.statistics.trades,
    fees: summary.statistics.feesPaid.toFixed(0),
    finalEquity: summary.statistics.finalEquity.toFixed(0),
    halts: summary.results.halts.map((h) => ({ ts: new Date(h.ts).toISOString(), reason: h.reason })),
    exits: rows.map((line) => {
      const r = line.split(',');
      return [at(r, 'position_id'), at(r, 'market'), at(r, 'opened'), at(r, 'closed'), at(r, 'amount'), at(r, 'entry_price'), at(r, 'exit_price'), Number(at(r, 'fees')).toFixed(0), Number(at(r, 'pnl')).toFixed(0), at(r, 'reason')].join(' ');
    }),
  };
}

/**
 * The golden backtest: a small committed fixture (test/golden/candles, made by make-fixture.mjs) and
 * profile (config.json) whose every exit, fee total, final equity and halt are pinned in expected.json.
 * Any change of behaviour shows here as a diff; when the change is intended, rewrite the pins with
 * `UPDATE_GOLDEN=1 npx vitest run test/golden` and name the change in the commit.
 */
describe('golden backtest', () => {
  it('takes profits, stops out, times out and halts for the day exactly as pinned', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-golden-'));
    const c = captureIo({});
    expect(await main(['backtest', '--data', join(here, 'candles'), '--config', join(here, 'config.json'), '--out', out], c.io), c.err()).toBe(0);
    const got = golden(out);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(EXPECTED, `${JSON.stringify(got, null, 2)}\n`);
    const expected = JSON.parse(readFileSync(EXPECTED, 'utf8')) as Golden;
    // The fixture exercises every exit the profile has and the daily-loss halt.
    expect(new Set(got.exits.map((e) => e.split(' ').at(-1)))).toEqual(new Set(['take-profit', 'stop-loss', 'time-limit']));
    expect(got.halts.map((h) => h.reason)).toEqual(['kill-switch: daily loss limit']);
    expect(got.exits).toEqual(expected.exits);
    expect(got).toEqual(expected);
  });
});
