import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config.js';
import { defaultProfilePath, profileSummary } from '../../src/cli/default-profile.js';
import { gateStatus } from '../../src/cli/commands/live-session.js';
import { main } from '../../src/cli/main.js';
import { createBacktest } from '../../src/engine/backtest.js';
import type { GateHold } from '../../strategies/index.js';
import { generateMarket } from '../../src/market-data/generator.js';
import { captureIo } from '../helpers/capture-io.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { writeSineCandles } from '../helpers/sine-candles.js';
import { bareProfile } from '../helpers/bare-profile.js';

const root = resolve(import.meta.dirname, '../..');

let server: UpbitServer;
beforeAll(async () => {
  server = await UpbitServer.start({ enforceRateLimits: false, markets: [{ code: 'KRW-BTC', price: 95_000_000 }, { code: 'KRW-XRP', price: 3000 }] });
});
afterAll(async () => {
  await server.close();
});

/**
 * Starts `paper` with `extra` flags, waits for its profile line (written from the configuration the session
 * trades, once the exchange answered), stops it.
 */
async function paperProfile(extra: readonly string[]): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'coinrx-paper-profile-'));
  const c = captureIo();
  const run = main(['paper', ...extra, '--rest-url', server.restUrl, '--ws-url', server.wsUrl, '--out', out], c.io);
  await waitFor(() => /paper: profile /.test(c.err()), 'the profile line', 10_000);
  c.controller.abort();
  expect(await run).toBe(130);
  return c.err().split('\n').find((l) => l.startsWith('paper: profile ')) as string;
}

describe('the profile paper and live trade', () => {
  it('without --config, paper trades config/default.json (entry gate, trailing stop, volume filter) and says so', async () => {
    expect(await paperProfile([])).toBe('paper: profile config/default.json (the paper/live profile; --config chooses another): exits take-profit +50 %, stop −8 %, trailing 5 % once +5 %, at most 7 d; entry gate on (20 paper trades first); coins trading 100,000,000 KRW and 100 trades a day');
    // The line is the file's: the same summary of the profile loaded by hand.
    expect(await paperProfile(['--config', join(root, 'config/default.json')])).toBe(`paper: profile ${join(root, 'config/default.json')}: ${profileSummary(loadConfig({ file: join(root, 'config/default.json') }))}`);
  });

  it('--config chooses another profile, named as given', async () => {
    expect(await paperProfile(['--config', bareProfile()])).toBe(`paper: profile ${bareProfile()}: exits take-profit +1 %, stop −1 %, at most 6 h; no entry gate; no volume filter`);
  });

  it('a backtest without --config says it trades the schema\'s bare defaults, not the paper/live profile', async () => {
    const data = writeSineCandles('coinrx-bare-backtest-');
    const bare = captureIo();
    expect(await main(['backtest', '--data', data, '--out', mkdtempSync(join(tmpdir(), 'coinrx-bare-out-'))], bare.io), bare.err()).toBe(0);
    expect(bare.err()).toContain("backtest: profile none (no --config): the schema's defaults: exits take-profit +1 %, stop −1 %, at most 6 h; no entry gate; no volume filter; paper and live trade config/default.json (--config config/default.json to backtest it)\n");
    const given = captureIo();
    expect(await main(['backtest', '--data', data, '--config', 'config/default.json', '--out', mkdtempSync(join(tmpdir(), 'coinrx-bare-out-'))], given.io), given.err()).toBe(0);
    expect(given.err()).not.toContain('profile none');
  });

  it('a gated backtest says how many buys its gate held back and why; one that bought nothing behind a volume filter says so', async () => {
    const data = writeSineCandles('coinrx-gated-backtest-');
    const gated = captureIo();
    expect(await main(['backtest', '--data', data, '--config', 'config/backtest-candles.json', '--out', mkdtempSync(join(tmpdir(), 'coinrx-gated-out-'))], gated.io), gated.err()).toBe(0);
    const line = gated.out().split('\n').find((l) => l.startsWith('gate ')) as string;
    const m = /^gate {8}held back ([\d,]+) BUY decisions: ([\d,]+) before 20 paper trades had closed, ([\d,]+) with no edge after fees, ([\d,]+) under the regime filter's market breadth; at the end the last 60 paper trades expected [+-]\d+\.\d\d% a trade after fees \(\d+\.\d\d% won\)$/.exec(line);
    expect(m, line).not.toBeNull();
    const [total, ...parts] = m!.slice(1).map((x) => Number(x.replaceAll(',', '')));
    expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
    // Nothing bought, and the reason is the gate's: every BUY held back, none reached the engine.
    expect(gated.out()).toMatch(/^trades {6}0 /m);
    expect(gated.out()).not.toMatch(/^decisions {3}BUY/m);

    const filtered = captureIo();
    expect(await main(['backtest', '--data', data, '--config', 'config/default.json', '--out', mkdtempSync(join(tmpdir(), 'coinrx-gated-out-'))], filtered.io), filtered.err()).toBe(0);
    expect(filtered.out()).not.toMatch(/^gate /m);
    expect(filtered.err()).toContain('backtest: no buy decision; the volume filter asks 100,000,000 USDT traded and 100 trades a day of a coin (filter.minValue1d, filter.minTrades1d, in the quote\'s units), which may have let no coin of these data through: lower them with --set\n');
  });

  it('finds config/default.json from the module, whatever the working directory', () => {
    expect(defaultProfilePath()).toBe(join(root, 'config', 'default.json'));
    expect(profileSummary(parseConfig({ strategy: { maxHold: '90m' }, filter: { minTrades1d: 5 } }))).toBe('exits take-profit +1 %, stop −1 %, at most 1.5 h; no entry gate; coins trading 0 KRW and 5 trades a day');
  });
});

describe('the entry gate in a session\'s status line', () => {
  const gated = parseConfig({ filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false, gate: { edge: true, minTrades: 5, window: 20, margin: 0.002 } } });

  it('says nothing before the gate judged a BUY, then what it knows: too few paper trades, shut or open', () => {
    // The gate's last decision (lastHold) as the kernel records it from the gate's hooks.
    const at = (estimate?: { trades: number; p: number; gain: number; loss: number; expected: number; fraction: number }, lastHold?: GateHold): string => gateStatus({ config: gated, gate: { estimate, held: { regime: 0, 'paper-trades': 0, 'no-edge': 0 }, lastHold } });
    expect(at()).toBe('');
    expect(at({ trades: 3, p: 0.5, gain: 0.02, loss: 0.02, expected: 0, fraction: 0 }, 'paper-trades')).toBe(', gate 3/5 paper trades closed (cash until 5)');
    expect(at({ trades: 20, p: 0.4, gain: 0.02, loss: 0.02, expected: -0.004, fraction: 0 }, 'no-edge')).toBe(', gate shut: the last 20 paper trades expect -0.40 % a trade after fees (cash)');
    // An expected value at the margin does not open it (the gate asks for more than the margin).
    expect(at({ trades: 20, p: 0.6, gain: 0.02, loss: 0.02, expected: 0.002, fraction: 0.1 }, 'no-edge')).toBe(', gate shut: the last 20 paper trades expect +0.20 % a trade after fees (cash)');
    expect(at({ trades: 20, p: 0.6, gain: 0.03, loss: 0.02, expected: 0.01, fraction: 0.1 })).toBe(', gate open: the last 20 paper trades expect +1.00 % a trade after fees');
  });

  it('the kernel keeps the gate\'s estimate of the last BUY it judged, as the strategy saw it', () => {
    const start = Date.UTC(2024, 0, 1);
    const run = createBacktest(gated, 'KRW', start);
    expect(run.kernel.gate.estimate).toBeUndefined();
    for (const event of generateMarket({ seed: 3, markets: 6, start, durationMs: 12 * 3_600_000, dailyVolatility: 0.3 })) run.feed(event);
    run.kernel.finish();
    const e = run.kernel.gate.estimate;
    expect(e).toBeDefined();
    // Its figures are the estimate's own: p·gain − (1 − p)·loss.
    expect(e!.expected).toBeCloseTo(e!.p * e!.gain - (1 - e!.p) * e!.loss, 12);
    expect(e!.trades).toBeGreaterThanOrEqual(5);
    expect(gateStatus(run.kernel)).toMatch(/^, gate (open|shut): the last \d+ paper trades expect [+-]\d+\.\d\d % a trade after fees/);
    // Open or shut as the gate itself last decided: a BUY through it, or held back with no edge after fees.
    const last = run.kernel.gate.lastHold;
    expect(gateStatus(run.kernel).startsWith(last === undefined ? ', gate open' : ', gate shut')).toBe(true);
    expect(last === undefined || last === 'no-edge').toBe(true);
  });
});
