/**
 * `npm run bench -- startup`: how long the CLI takes to start, as a user feels it, each figure the median
 * of RUNS fresh processes: `node -e 0` (the floor), `coinrx --help`, `coinrx backtest` from the spawn to
 * the first chunk of its data file reaching the reader (bench/_first-read.mjs, preloaded, marks it: the
 * first event is parsed from that chunk), and the same one-candle backtest from start to exit. Run
 * through bin/coinrx.js, so the build (dist/) when it is current; the TypeScript through tsx is measured
 * beside it (COINRX_FROM_SOURCE=1). BENCH_PREVIOUS=<dir>, a checkout of an earlier release with its
 * node_modules, measures that tree's bin/coinrx.js in the same run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 7;
const CANDLES = join(root, '../shared/data/candles/binance-spot-2021-5m');

function medianMs(args: readonly string[], env: NodeJS.ProcessEnv = {}): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    execFileSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...env } });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[RUNS >> 1] as number);
}

/** Spawn to the first data chunk read, from the preload's mark on stderr; the run is then stopped. */
async function medianFirstDataMs(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', join(root, 'bench/_first-read.mjs'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const at = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const mark = /first-data-at (\d+)/.exec(err);
        if (mark) resolve(Number(mark[1]));
      });
      child.on('exit', () => reject(new Error(`no data read: ${err.slice(-300)}`)));
    });
    child.kill();
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    times.push(at - started);
  }
  times.sort((a, b) => a - b);
  return times[RUNS >> 1] as number;
}

function oneCandle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-startup-'));
  writeFileSync(join(dir, 'BTC_USDT-5m.csv'), 'timestamp,open,high,low,close,volume\n1609459200000,28923.63,29031.34,28690.17,28995.13,2311.81\n');
  return dir;
}

async function cli(tree: string, env: NodeJS.ProcessEnv = {}): Promise<Record<string, number>> {
  const bin = join(tree, 'bin/coinrx.js');
  const data = oneCandle();
  return {
    help_ms: medianMs([bin, '--help'], env),
    backtest_first_data_ms: await medianFirstDataMs([bin, 'backtest', '--data', CANDLES, '--out', join(data, 'out30')], env),
    backtest_one_candle_ms: medianMs([bin, 'backtest', '--data', data, '--out', join(data, 'out')], env),
  };
}

function buildIsCurrent(): boolean {
  const stamp = join(root, 'dist/.build-stamp');
  if (!existsSync(stamp)) return false;
  const out = execFileSync('find', ['src', 'streams', 'machines', 'strategies', '-newer', stamp, '-name', '*.ts'], { cwd: root, encoding: 'utf8' });
  return out.trim() === '' && statSync(stamp).isFile();
}

export async function run(): Promise<Record<string, unknown>> {
  // What a user runs after `npm install`: build first when the tree has changed since the last build.
  if (!buildIsCurrent()) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const figures: Record<string, unknown> = {
    build_current: buildIsCurrent(),
    node_floor_ms: medianMs(['-e', '0']),
    ...(await cli(root)),
    source: await cli(root, { COINRX_FROM_SOURCE: '1' }),
  };
  const previous = process.env['BENCH_PREVIOUS'];
  if (previous) figures['previous'] = await cli(previous);
  return figures;
}
