/**
 * `npm run bench -- startup`: how long the CLI takes to start, as a user feels it, each figure the median
 * of RUNS fresh processes: `node -e 0` (the floor), `coinrx --help`, `coinrx backtest` from the spawn to
 * the first chunk of its data file reaching the reader (bench/_first-read.mjs, preloaded, marks it: the
 * first event is parsed from that chunk), and the same one-candle backtest from start to exit. Run
 * through bin/coinrx.js, so the build (dist/) when it is current; the TypeScript through tsx is measured
 * beside it (COINRX_FROM_SOURCE=1). BENCH_PREVIOUS=<dir>, a checkout of an earlier release with its
 * node_modules, measures that tree's bin/coinrx.js in the same run. The trees take turns run by run (see
 * `measure`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent } from './_build.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 7;
const CANDLES = join(root, '../shared/data/candles/binance-spot-2021-5m');

function median(times: number[]): number {
  times.sort((x, y) => x - y);
  return Math.round(times[times.length >> 1] as number);
}

/** Wall-clock milliseconds of one fresh process, start to exit. */
function timeMs(args: readonly string[], env: NodeJS.ProcessEnv = {}): number {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...env } });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Spawn to the first data chunk read, from the preload's mark on stderr; the run is then stopped. */
async function firstDataMs(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
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
  return at - started;
}

function oneCandle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-startup-'));
  writeFileSync(join(dir, 'BTC_USDT-5m.csv'), 'timestamp,open,high,low,close,volume\n1609459200000,28923.63,29031.34,28690.17,28995.13,2311.81\n');
  return dir;
}

interface Variant {
  readonly tree: string;
  readonly env: NodeJS.ProcessEnv;
  readonly help: number[];
  readonly firstData: number[];
  readonly oneCandle: number[];
}

/**
 * Every variant's three figures, RUNS times, the variants taking turns within each round: on a shared
 * machine the load drifts over a minute, and measuring one tree after the other would hand the drift to
 * the comparison.
 */
async function measure(variants: readonly Variant[], floor: number[]): Promise<void> {
  const data = oneCandle();
  for (let round = 0; round < RUNS; round++) {
    floor.push(timeMs(['-e', '0']));
    for (const v of variants) {
      const bin = join(v.tree, 'bin/coinrx.js');
      v.help.push(timeMs([bin, '--help'], v.env));
      v.firstData.push(await firstDataMs([bin, 'backtest', '--data', CANDLES, '--out', join(data, 'out30')], v.env));
      v.oneCandle.push(timeMs([bin, 'backtest', '--data', data, '--out', join(data, 'out')], v.env));
    }
  }
}

/**
 * FIRST_DATA_MARK=1 for a tree whose replay marks its first batch reaching the engine (FIRST_BATCH_MARK):
 * such a tree starts reading before it has loaded the engine, so its reader thread's first message comes
 * early, and only the mark says when the engine has the data (bench/_first-read.mjs).
 */
function firstDataMark(tree: string): NodeJS.ProcessEnv {
  const replay = ['dist/src/market-data/replay.js', 'src/market-data/replay.ts'].map((file) => join(tree, file)).find(existsSync);
  return replay !== undefined && readFileSync(replay, 'utf8').includes('coinrx:first-batch') ? { FIRST_DATA_MARK: '1' } : {};
}

function figuresOf(v: Variant): Record<string, number> {
  return { help_ms: median(v.help), backtest_first_data_ms: median(v.firstData), backtest_one_candle_ms: median(v.oneCandle) };
}

export async function run(): Promise<Record<string, unknown>> {
  // What a user runs after `npm install`: build first when the tree has changed since the last build.
  if (!buildIsCurrent(root)) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const variant = (tree: string, env: NodeJS.ProcessEnv = {}): Variant => ({ tree, env: { ...env, ...firstDataMark(tree) }, help: [], firstData: [], oneCandle: [] });
  const built = variant(root);
  const source = variant(root, { COINRX_FROM_SOURCE: '1' });
  const previousTree = process.env['BENCH_PREVIOUS'];
  const previous = previousTree ? variant(previousTree) : undefined;
  const floor: number[] = [];
  await measure(previous ? [built, source, previous] : [built, source], floor);
  return {
    build_current: buildIsCurrent(root),
    node_floor_ms: median(floor),
    ...figuresOf(built),
    source: figuresOf(source),
    ...(previous ? { previous: figuresOf(previous) } : {}),
  };
}
