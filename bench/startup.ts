/**
 * `npm run bench -- startup`: how long the CLI takes to start, as a user feels it, each figure the median
 * of RUNS fresh processes: `node -e 0` (the floor), `coinrx --help`, and `coinrx backtest` on a file of
 * one candle from start to exit (outputs written) — an upper bound of the time to its first event. Run
 * through bin/coinrx.js, so the build (dist/) when it is current; the TypeScript through tsx is measured
 * beside it (COINRX_FROM_SOURCE=1). BENCH_PREVIOUS=<dir>, a checkout of an earlier release with its
 * node_modules, measures that tree's bin/coinrx.js in the same run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 7;

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

function oneCandle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-startup-'));
  writeFileSync(join(dir, 'BTC_USDT-5m.csv'), 'timestamp,open,high,low,close,volume\n1609459200000,28923.63,29031.34,28690.17,28995.13,2311.81\n');
  return dir;
}

function cli(tree: string, env: NodeJS.ProcessEnv = {}): Record<string, number> {
  const bin = join(tree, 'bin/coinrx.js');
  const data = oneCandle();
  return {
    help_ms: medianMs([bin, '--help'], env),
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
    ...cli(root),
    source: cli(root, { COINRX_FROM_SOURCE: '1' }),
  };
  const previous = process.env['BENCH_PREVIOUS'];
  if (previous) figures['previous'] = cli(previous);
  return figures;
}
