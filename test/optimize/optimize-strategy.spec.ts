/**
 * `coinrx optimize --strategy`: every trial runs the user's module, built with the trial's own searched
 * configuration, in process and on a `coinrx worker`; and a configured trained model is searched only on
 * data it has not seen, as `coinrx backtest` runs it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { OptimizeReport } from '../../src/optimize/optimize-search.js';
import { captureIo } from '../helpers/capture-io.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { writeZigzagCandles } from '../helpers/zigzag-candles.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
const CLI = join(REPO, 'bin/coinrx.js');

describe('coinrx optimize --strategy', () => {
  let data: string;
  let root: string;
  let space: string;
  let builtIn: string;
  const args = (out: string, ...extra: string[]): string[] => ['optimize', '--data', data, '--space', space, '--trials', '4', '--folds', '2', '--seed', '7', '--out', out, ...extra];
  const trades = (out: string): number[] => (JSON.parse(readFileSync(join(out, 'optimize.json'), 'utf8')) as OptimizeReport).trialResults.map((t) => t.whole.trades);

  beforeAll(async () => {
    data = writeZigzagCandles();
    root = mkdtempSync(join(tmpdir(), 'coinrx-optimize-strategy-'));
    space = join(root, 'space.json');
    writeFileSync(space, JSON.stringify({ 'strategy.takeProfit': { min: 0.005, max: 0.04 }, 'strategy.stopLoss': { min: 0.005, max: 0.04 }, 'allocation.maxPositions': { min: 1, max: 3 } }));
    // Modules are ES modules, as in a coinrx checkout.
    writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(root, 'rules.ts'),
      `import { tripleBarrier, type StrategyContext } from '${join(REPO, 'strategies/index.js')}';\n` +
        `export function createStrategy(c: StrategyContext) {\n` +
        `  return tripleBarrier({ takeProfit: c.takeProfit, stopLoss: c.stopLoss, maxHoldMs: c.maxHoldMs, buyTimeoutMs: c.buyTimeoutMs, chaseTicks: c.chaseTicks, feeRate: c.feeRate, skipBearMarket: c.skipBearMarket, ...(c.sellTimeoutMs > 0 ? { sellTimeoutMs: c.sellTimeoutMs } : {}), trailActivate: c.trailActivate, trailDistance: c.trailDistance });\n}\n`,
    );
    writeFileSync(join(root, 'silent.mjs'), `import { filter } from 'rxjs';\nexport function createStrategy() { return (source) => source.pipe(filter(() => false)); }\n`);
    writeFileSync(join(root, 'misnamed.mjs'), 'export function strategy() { return (s) => s; }\n');
    builtIn = join(root, 'built-in');
    const c = captureIo();
    expect(await main(args(builtIn), c.io), c.err()).toBe(0);
    expect(trades(builtIn).some((n) => n > 0)).toBe(true);
  }, 60_000);

  it("runs the module in every trial with the trial's own parameters", async () => {
    // The rule-based strategy as a module: the same search, byte for byte (each trial's takeProfit and stopLoss reach it).
    const rules = join(root, 'rules');
    expect(await main(args(rules, '--strategy', join(root, 'rules.ts')), captureIo().io)).toBe(0);
    expect(readFileSync(join(rules, 'optimize.json'), 'utf8')).toBe(readFileSync(join(builtIn, 'optimize.json'), 'utf8'));
    const silent = join(root, 'silent');
    expect(await main(args(silent, '--strategy', join(root, 'silent.mjs')), captureIo().io)).toBe(0);
    expect(trades(silent)).toEqual([0, 0, 0, 0]);
  }, 60_000);

  it('a broken module is one line, before the data is read', async () => {
    const c = captureIo();
    expect(await main(args(join(root, 'broken'), '--strategy', join(root, 'misnamed.mjs')), c.io)).toBe(1);
    expect(c.err().trim().split('\n')).toEqual([expect.stringMatching(/^coinrx optimize: --strategy .*misnamed\.mjs: missing export "createStrategy" \(it exports strategy\)/)]);
  });

  it("searches a trained ranker only after its clean test data starts (as backtest), or refuses", async () => {
    // A registry version's meta.json is all the span check reads.
    const model = join(root, 'model');
    mkdirSync(model);
    writeFileSync(join(model, 'meta.json'), JSON.stringify({ spans: { testFrom: Date.UTC(2024, 0, 10) } }));
    const c = captureIo();
    expect(await main(args(join(root, 'model-out'), '--set', `ranking.model=${model}`, '--timerange', '20240101-20240103'), c.io)).toBe(2);
    expect(c.err()).toMatch(/^coinrx optimize: the whole range ends .* before the clean test data of the ranking model .* starts \(2024-01-10T00:00:00\.000Z\): the model was trained on it/);
    const d = captureIo();
    expect(await main(args(join(root, 'model-out'), '--set', `ranking.model=${model}`, '--from', '2024-01-02'), d.io)).toBe(2);
    expect(d.err()).toMatch(/the range starts 2024-01-02T00:00:00\.000Z, inside the span the ranking model .* was trained and validated on/);
    // No start given: the search starts where the clean data does, here after the data ends.
    const e = captureIo();
    expect(await main(args(join(root, 'model-out'), '--set', `ranking.model=${model}`), e.io)).toBe(2);
    expect(e.err()).toMatch(/optimize: trading from 2024-01-10T00:00:00\.000Z, where the clean test data of the ranking model .* starts/);
    expect(e.err()).toMatch(/coinrx optimize: the time range holds no data/);
  });

  describe.skipIf(skipWithoutRedis())('on a worker process', () => {
    let redis: RedisTestServer;
    beforeAll(async () => {
      redis = await RedisTestServer.start();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('gives the in-process answer', async () => {
      const worker = spawn(process.execPath, [CLI, 'worker', '--redis', redis.url, '--data', data, '--name', 'w'], { env: { ...process.env, REDIS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      worker.stderr?.on('data', (d: Buffer) => void (log += d.toString()));
      const exited = new Promise((r) => worker.once('exit', r));
      try {
        while (!log.includes('waiting for jobs')) await new Promise((r) => setTimeout(r, 20));
        const out = join(root, 'worker-rules');
        const c = captureIo();
        expect(await main(args(out, '--strategy', join(root, 'rules.ts'), '--redis', redis.url), c.io), c.err()).toBe(0);
        expect(readFileSync(join(out, 'optimize.json'), 'utf8')).toBe(readFileSync(join(builtIn, 'optimize.json'), 'utf8'));
        expect(log).toMatch(/job \S+ done in/);
      } finally {
        worker.kill('SIGTERM');
        await exited;
      }
    }, 60_000);
  });
});

describe('coinrx optimize with a trained ranker (ranking.model)', () => {
  /** Four USDT coins of 5m candles over eight days, swinging out of phase. */
  function writeCandles(dir: string): void {
    const start = Date.UTC(2024, 0, 1);
    for (const [name, period, amplitude] of [['AAA_USDT', 70, 0.03], ['BBB_USDT', 110, 0.02], ['CCC_USDT', 45, 0.04], ['DDD_USDT', 160, 0.025]] as const) {
      const rows = ['timestamp,open,high,low,close,volume'];
      let price = 100;
      for (let i = 0; i < 8 * 288; i++) {
        const next = 100 * (1 + amplitude * Math.sin((2 * Math.PI * i) / period) + 0.01 * Math.sin(i / 7));
        rows.push(`${start + i * 300_000},${price},${Math.max(price, next) * 1.003},${Math.min(price, next) * 0.997},${next},${50 + ((i * 7) % 13)}`);
        price = next;
      }
      writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
    }
  }

  it('runs every trial as coinrx backtest runs the model, from its clean test data on', async () => {
    const root = mkdtempSync(join(tmpdir(), 'coinrx-optimize-model-'));
    const data = join(root, 'data');
    mkdirSync(data);
    writeCandles(data);
    const model = join(root, 'models');
    const ranker = JSON.stringify({ label: { target: 0.01, stop: 0.01, horizon: '2h' }, split: { validation: '1d', embargo: '1h' }, train: { epochs: 2, stride: 2, models: ['mlp'] } });
    const trained = captureIo();
    expect(await main(['ranker', 'train', '--data', data, '--ranker-config', ranker, '--to', '2024-01-03', '--out', model], trained.io), trained.err()).toBe(0);
    const space = join(root, 'space.json');
    writeFileSync(space, JSON.stringify({ 'strategy.takeProfit': { min: 0.005, max: 0.03 }, 'strategy.stopLoss': { min: 0.005, max: 0.03 } }));
    const out = join(root, 'out');
    const c = captureIo();
    const base = ['--set', 'features.every=5m', '--set', `ranking.model=${model}`, '--set', 'ranking.top=2'];
    expect(await main(['optimize', '--data', data, '--space', space, '--trials', '3', '--folds', '1', '--seed', '2', '--to', '2024-01-08', ...base, '--out', out], c.io), c.err()).toBe(0);
    // No --from: the search starts where the model's clean test data does, as a backtest would.
    const cleanFrom = /trading from (\S+), where the clean test data of the ranking model/.exec(c.err())?.[1] as string;
    expect(cleanFrom).toBeDefined();
    const report = JSON.parse(readFileSync(join(out, 'optimize.json'), 'utf8')) as OptimizeReport;
    const spanFrom = Math.ceil(Date.parse(cleanFrom) / 3_600_000) * 3_600_000;
    for (const t of report.trialResults) {
      const sets = Object.entries(t.parameters).flatMap(([k, v]) => ['--set', `${k}=${String(v)}`]);
      const btOut = join(root, `bt-${t.trial}`);
      const bt = captureIo();
      expect(await main(['backtest', '--data', data, ...base, ...sets, '--from', new Date(spanFrom).toISOString(), '--to', '2024-01-08', '--out', btOut], bt.io), bt.err()).toBe(0);
      const summary = JSON.parse(readFileSync(join(btOut, 'summary.json'), 'utf8')) as { statistics: { trades: number; totalReturn: number } };
      expect(t.whole.trades).toBe(summary.statistics.trades);
      expect(t.whole.totalReturn).toBeCloseTo(summary.statistics.totalReturn, 9);
    }
    expect(report.trialResults.some((t) => t.whole.trades > 0)).toBe(true);
  }, 120_000);
});
