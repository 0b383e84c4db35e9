/**
 * `--strategy` wherever a strategy runs: demo, paper and live load the module with the backtest's code
 * (src/engine/user-strategy.ts) and trade with it instead of the rule-based strategy; a broken module
 * is the same one line, before any exchange is contacted.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { bareProfile } from '../helpers/bare-profile.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../..');

interface Seen {
  feeRates: number[];
  decisions: number;
}
const seen = (): Seen => (globalThis as { __coinrxUserStrategy?: Seen }).__coinrxUserStrategy as Seen;

/** The rule-based strategy as a user module that notes on globalThis each build (with its fee rate) and each decision. */
function modules(): { counting: string; silent: string; misnamed: string } {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-strategy-flag-'));
  const counting = join(dir, 'counting.ts');
  writeFileSync(
    counting,
    `import { tap } from 'rxjs';\n` +
      `import { tripleBarrier, type StrategyContext } from '${join(REPO, 'strategies/index.js')}';\n` +
      `export function createStrategy(c: StrategyContext) {\n` +
      `  const g = globalThis as { __coinrxUserStrategy?: { feeRates: number[]; decisions: number } };\n` +
      `  g.__coinrxUserStrategy ??= { feeRates: [], decisions: 0 };\n` +
      `  g.__coinrxUserStrategy.feeRates.push(c.feeRate);\n` +
      `  const inner = tripleBarrier({ takeProfit: c.takeProfit, stopLoss: c.stopLoss, maxHoldMs: c.maxHoldMs, buyTimeoutMs: c.buyTimeoutMs, chaseTicks: c.chaseTicks, feeRate: c.feeRate, skipBearMarket: c.skipBearMarket, ...(c.sellTimeoutMs > 0 ? { sellTimeoutMs: c.sellTimeoutMs } : {}), trailActivate: c.trailActivate, trailDistance: c.trailDistance });\n` +
      `  return (source: Parameters<typeof inner>[0]) => inner(source).pipe(tap(() => void (g.__coinrxUserStrategy as { decisions: number }).decisions++));\n}\n`,
  );
  const silent = join(dir, 'silent.mjs');
  writeFileSync(silent, `import { filter } from 'rxjs';\nexport function createStrategy() { return (source) => source.pipe(filter(() => false)); }\n`);
  const misnamed = join(dir, 'misnamed.mjs');
  writeFileSync(misnamed, 'export function strategy() { return (s) => s; }\n');
  return { counting, silent, misnamed };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const SESSION = ['--set', 'features.every=1m', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'ranking.top=1', '--set', 'exchange.markets=["XRP/KRW"]', '--set', 'strategy.skipBearMarket=false'];

let server: UpbitServer;
let files: ReturnType<typeof modules>;
beforeAll(async () => {
  files = modules();
  server = await UpbitServer.start({ enforceRateLimits: false, markets: [{ code: 'KRW-BTC', price: 95_000_000 }, { code: 'KRW-XRP', price: 3000 }] });
});
afterAll(async () => {
  await server.close();
});

describe('--strategy beyond the backtest', () => {
  it('demo trades with the module instead of the rule-based strategy', async () => {
    const demo = (out: string, ...extra: string[]): string[] => ['demo', '--hours', '12', '--markets', '6', '--out', out, ...extra];
    const builtIn = mkdtempSync(join(tmpdir(), 'coinrx-demo-a-'));
    const user = mkdtempSync(join(tmpdir(), 'coinrx-demo-b-'));
    const silent = mkdtempSync(join(tmpdir(), 'coinrx-demo-c-'));
    expect(await main(demo(builtIn), captureIo().io)).toBe(0);
    expect(await main(demo(user, '--strategy', files.counting), captureIo().io)).toBe(0);
    expect(await main(demo(silent, '--strategy', files.silent), captureIo().io)).toBe(0);
    const trades = readFileSync(join(builtIn, 'trades.csv'), 'utf8');
    expect(trades.trim().split('\n').length).toBeGreaterThan(1);
    // The same rules as a module: the same trades; a module that never decides: none.
    expect(readFileSync(join(user, 'trades.csv'), 'utf8')).toBe(trades);
    expect(readFileSync(join(silent, 'trades.csv'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('paper builds the module with the exchange fee and acts on its decisions', async () => {
    const before = seen()?.decisions ?? 0;
    const out = mkdtempSync(join(tmpdir(), 'coinrx-paper-strategy-'));
    const c = captureIo();
    const run = main(['paper', '--config', bareProfile(), '--rest-url', server.restUrl, '--ws-url', server.wsUrl, '--out', out, ...SESSION, '--set', 'simulator.fillModel=touch', '--strategy', files.counting], c.io);
    await waitFor(() => server.subscriptions.length > 0, 'the paper engine to subscribe');
    const start = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    [3000, 3005, 3010, 3015, 3020, 2995, 2990].forEach((price, i) => server.publishTrade('KRW-XRP', { price, volume: 1000, ts: start + (i + 1) * 60_000 }));
    await waitFor(() => /fill buy/.test(c.out()), 'a buy fill', 10_000);
    c.controller.abort();
    expect(await run).toBe(130);
    expect(seen().feeRates.at(-1)).toBe(0.0005);
    expect(seen().decisions).toBeGreaterThan(before);
  });

  it('live places the orders of the module', async () => {
    const before = seen()?.decisions ?? 0;
    const builds = seen()?.feeRates.length ?? 0;
    const out = mkdtempSync(join(tmpdir(), 'coinrx-live-strategy-'));
    const c = captureIo({ UPBIT_ACCESS_KEY: server.accessKey, UPBIT_SECRET_KEY: server.secretKey });
    const orders = server.requestsTo('/v1/orders', 'POST').length;
    const run = main(['live', '--live', '--config', bareProfile(), '--exchange-url', server.restUrl, '--out', out, ...SESSION, '--set', 'allocation.maxPerCoin=0.5', '--strategy', files.counting], c.io);
    await waitFor(() => /reconciled; trading/.test(c.err()), 'the reconciliation', 10_000);
    const start = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    [3000, 3005, 3010, 3015, 3020].forEach((price, i) => server.publishTrade('KRW-XRP', { price, volume: 1000, ts: start + (i + 1) * 60_000 }));
    await waitFor(() => server.requestsTo('/v1/orders', 'POST').length > orders, 'a limit order on the exchange', 10_000);
    c.controller.abort();
    expect(await run).toBe(130);
    expect(seen().feeRates.length).toBe(builds + 1);
    expect(seen().decisions).toBeGreaterThan(before);
  });

  it('a broken module is the backtest\'s one line, before any exchange is contacted', async () => {
    const port = await closedPort();
    const keys = { UPBIT_ACCESS_KEY: 'k', UPBIT_SECRET_KEY: 's' };
    const runs: [string, string[], Record<string, string>][] = [
      ['paper', ['paper', '--rest-url', `http://127.0.0.1:${port}`], {}],
      ['live', ['live', '--live', '--exchange-url', `http://127.0.0.1:${port}`], keys],
      ['demo', ['demo', '--hours', '1'], {}],
    ];
    for (const [name, args, env] of runs) {
      const c = captureIo(env);
      expect(await main([...args, '--strategy', files.misnamed], c.io), name).toBe(1);
      const lines = c.err().trim().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(new RegExp(`^coinrx ${name}: --strategy .*misnamed\\.mjs: missing export "createStrategy" \\(it exports strategy\\)`));
    }
    const both = captureIo();
    expect(await main(['demo', '--hours', '1', '--set', 'strategy.agent=models/agent', '--strategy', files.counting], both.io)).toBe(2);
    expect(both.err()).toMatch(/^coinrx demo: --strategy and strategy.agent both choose the strategy: give one\. Run "coinrx demo --help"\.\n$/);
  });
});
