import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
const START = Date.UTC(2024, 0, 1);

/** Three coins of 5m candles over four days with swings (rises, falls, chop), made here. */
function writeCandles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-user-strategy-data-'));
  for (const [name, period, amplitude] of [['AAA_USDT', 96, 0.06], ['BBB_USDT', 150, 0.04], ['CCC_USDT', 60, 0.08]] as const) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 100;
    for (let i = 0; i < 4 * 288; i++) {
      const next = 100 * (1 + amplitude * Math.sin((2 * Math.PI * i) / period) + 0.0002 * i);
      rows.push(`${START + i * 300_000},${price},${Math.max(price, next) * 1.002},${Math.min(price, next) * 0.998},${next},${50 + (i % 11)}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
  }
  return dir;
}

/** A scratch coinrx checkout: the real src/, node_modules and strategy files linked in, its own strategies/ and test/ folders. */
function scratchCheckout(): string {
  const root = mkdtempSync(join(tmpdir(), 'coinrx-checkout-'));
  symlinkSync(join(REPO, 'src'), join(root, 'src'));
  symlinkSync(join(REPO, 'streams'), join(root, 'streams'));
  symlinkSync(join(REPO, 'machines'), join(root, 'machines'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'strategies'));
  for (const f of readdirSync(join(REPO, 'strategies'))) symlinkSync(join(REPO, 'strategies', f), join(root, 'strategies', f));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  return root;
}

const backtest = (data: string, out: string, ...extra: string[]): string[] => ['backtest', '--data', data, '--set', 'features.every=5m', '--set', 'ranking.top=2', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--out', out, ...extra];

const cwd = process.cwd();
afterEach(() => process.chdir(cwd));

describe('user strategies', () => {
  it('new-strategy writes a module and a marble spec that passes; the module backtests', async () => {
    const root = scratchCheckout();
    process.chdir(root);
    const made = captureIo();
    expect(await main(['new-strategy', 'MyMomentum'], made.io)).toBe(0);
    expect(made.out()).toContain('wrote strategies/my-momentum.ts and test/strategies/my-momentum.marble.spec.ts');
    const again = captureIo();
    expect(await main(['new-strategy', 'my-momentum'], again.io)).toBe(2);
    expect(again.err()).toMatch(/strategies\/my-momentum.ts exists already/);
    // The spec it wrote passes as written (its own vitest run in the scratch checkout).
    const report = execFileSync(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', '--root', root, 'test/strategies/my-momentum.marble.spec.ts'], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' } });
    expect(report.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+3 passed/);
    const out = mkdtempSync(join(tmpdir(), 'coinrx-user-bt-'));
    const run = captureIo();
    expect(await main(backtest(writeCandles(), out, '--strategy', './strategies/my-momentum.ts'), run.io)).toBe(0);
    const trades = readFileSync(join(out, 'trades.csv'), 'utf8').trim().split('\n').slice(1);
    expect(trades.length).toBeGreaterThan(0);
    const reasons = new Set(trades.map((l) => l.split(',')[12]));
    for (const r of reasons) expect(['take-profit', 'stop-loss', 'trailing-stop', 'time-limit']).toContain(r);
  });

  it('a module built on the rule-based strategy trades exactly as the built-in one (same interface, same context)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-user-module-'));
    writeFileSync(
      join(dir, 'rules.ts'),
      `import { tripleBarrier, type StrategyContext } from '${join(REPO, 'strategies/index.js')}';\n` +
        `export function createStrategy(c: StrategyContext) {\n` +
        `  return tripleBarrier({ takeProfit: c.takeProfit, stopLoss: c.stopLoss, maxHoldMs: c.maxHoldMs, buyTimeoutMs: c.buyTimeoutMs, chaseTicks: c.chaseTicks, feeRate: c.feeRate, skipBearMarket: c.skipBearMarket, ...(c.sellTimeoutMs > 0 ? { sellTimeoutMs: c.sellTimeoutMs } : {}) });\n}\n`,
    );
    const data = writeCandles();
    const builtIn = mkdtempSync(join(tmpdir(), 'coinrx-bt-a-'));
    const user = mkdtempSync(join(tmpdir(), 'coinrx-bt-b-'));
    expect(await main(backtest(data, builtIn), captureIo().io)).toBe(0);
    expect(await main(backtest(data, user, '--strategy', join(dir, 'rules.ts')), captureIo().io)).toBe(0);
    const trades = readFileSync(join(builtIn, 'trades.csv'), 'utf8');
    expect(trades.split('\n').length).toBeGreaterThan(3);
    expect(readFileSync(join(user, 'trades.csv'), 'utf8')).toBe(trades);
    expect(readFileSync(join(user, 'equity.csv'), 'utf8')).toBe(readFileSync(join(builtIn, 'equity.csv'), 'utf8'));
  });

  it('a broken module is one line naming the file and what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-bad-modules-'));
    writeFileSync(join(dir, 'misnamed.mjs'), 'export function strategy() { return (s) => s; }\nexport const version = 1;\n');
    writeFileSync(join(dir, 'empty.mjs'), '\n');
    writeFileSync(join(dir, 'not-a-function.mjs'), 'export const createStrategy = { kind: "BUY" };\n');
    writeFileSync(join(dir, 'returns-nothing.mjs'), 'export function createStrategy() { return undefined; }\n');
    writeFileSync(join(dir, 'broken.mjs'), 'export function createStrategy( {\n');
    writeFileSync(join(dir, 'bad-decision.mjs'), 'import { map } from "rxjs";\nexport function createStrategy() { return (s) => s.pipe(map(() => ({ kind: "HOLD", market: "AAA/USDT", ts: 1, reason: "x" }))); }\n');
    // The new-strategy template's shape: the module subscribes to its input itself and throws at its first decision.
    writeFileSync(join(dir, 'throws.mjs'), 'import { Observable } from "rxjs";\nexport function createStrategy() {\n  return (source) => new Observable(() => source.subscribe({ next(input) { if (input.kind === "features") throw new Error("boom at the first decision"); } }));\n}\n');
    writeFileSync(join(dir, 'throws-in-map.mjs'), 'import { map } from "rxjs";\nexport function createStrategy() { return (s) => s.pipe(map(() => { throw new RangeError("bad index"); })); }\n');
    const data = writeCandles();
    const cases: [string, RegExp][] = [
      ['throws.mjs', /^coinrx backtest: strategy throws\.mjs threw: boom at the first decision \(at throws\.mjs:3:\d+\)/m],
      ['throws-in-map.mjs', /^coinrx backtest: strategy throws-in-map\.mjs threw: bad index \(at throws-in-map\.mjs:2:\d+\)/m],
      ['misnamed.mjs', /^coinrx backtest: --strategy .*misnamed\.mjs: missing export "createStrategy" \(it exports strategy, version\); a strategy module exports function createStrategy\(context\)/],
      ['empty.mjs', /--strategy .*empty\.mjs: missing export "createStrategy" \(it exports nothing\)/],
      ['not-a-function.mjs', /--strategy .*not-a-function\.mjs: export "createStrategy" is an object, not a function/],
      ['returns-nothing.mjs', /--strategy .*returns-nothing\.mjs: createStrategy\(context\) returned undefined, not a strategy operator/],
      ['broken.mjs', /--strategy .*broken\.mjs: cannot load the module: /],
      ['bad-decision.mjs', /strategy bad-decision\.mjs emitted \{"kind":"HOLD".*a decision needs kind \(BUY, SELL, CANCEL_BUY, CANCEL_SELL\)/],
      ['missing.ts', /--strategy .*missing\.ts: no such file/],
    ];
    for (const [file, message] of cases) {
      const run = captureIo();
      expect(await main(backtest(data, mkdtempSync(join(tmpdir(), 'coinrx-bad-out-')), '--strategy', join(dir, file)), run.io), file).toBe(1);
      expect(run.err(), file).toMatch(message);
      expect(run.err().trim().split('\n').filter((l) => l.startsWith('coinrx backtest:')), file).toHaveLength(1);
      expect(run.err(), file).not.toMatch(/\n\s+at /);
    }
    const unknown = captureIo();
    expect(await main(backtest(data, dir, '--strategy', 'no-such-strategy-package'), unknown.io)).toBe(1);
    expect(unknown.err()).toMatch(/--strategy no-such-strategy-package: not a file and no installed package of that name/);
  });
});
