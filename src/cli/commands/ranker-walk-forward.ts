/** `coinrx ranker walk-forward`: the strategy's rolling-fold table against the simple rankings, cash and buy-and-hold (no model, no TensorFlow.js). */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { strategyWalkForward, type Candidate } from '../../ml/strategy-walk-forward.js';
import { strategyWalkForwardHtml, strategyWalkForwardText } from '../../ml/strategy-walk-forward-report.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { prepareOutputFolder } from '../output.js';
import type { CommandIo } from '../command.js';
import { timeRangeArgs } from '../time-range-flags.js';
import { rawProfile } from '../../config.js';
import { commandConfig, durationFlag } from './replay-input.js';

const DAY = 86_400_000;

/**
 * `--choose grid.json`: `{ "strategy.stopLoss": [0.04, 0.08], … }`, every combination of the listed values
 * over the configured profile (as `--set` would give them); a bad file or field is one line naming it.
 */
async function candidatesOf(args: ParsedArgs, io: CommandIo): Promise<(Candidate & { readonly sets: readonly string[] })[] | undefined> {
  const file = args.strings.get('choose');
  if (file === undefined) return undefined;
  let grid: unknown;
  try {
    grid = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--choose ${file}: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (typeof grid !== 'object' || grid === null || Array.isArray(grid) || Object.keys(grid).length === 0) throw new UsageError(`--choose ${file}: expected an object of configuration paths to lists of values, e.g. {"strategy.stopLoss": [0.04, 0.08]}`);
  let combos: string[][] = [[]];
  for (const [path, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => ['number', 'string', 'boolean'].includes(typeof v))) throw new UsageError(`--choose ${file}: ${path} must be a non-empty list of numbers, strings or booleans`);
    combos = combos.flatMap((c) => values.map((v) => [...c, `${path}=${String(v)}`]));
  }
  return combos.map((sets) => {
    try {
      return { label: sets.map((x) => x.slice(x.lastIndexOf('.', x.indexOf('=')) + 1)).join(' '), config: commandConfig(args, io, sets), sets };
    } catch (error) {
      throw new UsageError(`--choose ${file}: ${(error as Error).message}`);
    }
  });
}

export async function walkForward(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.strings.has('model')) throw new UsageError('--model does not apply to ranker walk-forward (it tables the configured strategy with the rule rankings; ranker evaluate backtests a model)');
  const data = args.lists.get('data');
  if (!data || data.length === 0) throw new UsageError('--data is required (files or directories of recorded market data)');
  const foldMs = durationFlag(args, 'fold') ?? 14 * DAY;
  if (!(foldMs >= DAY && foldMs % DAY === 0)) throw new UsageError(`--fold must be a whole number of days for ranker walk-forward (its figures are daily returns), got "${args.strings.get('fold')}"`);
  const config = commandConfig(args, io);
  const range = timeRangeArgs(args);
  const out = args.strings.get('out') ?? 'out/ranker-evaluation';
  // Made before the work: a file in the way is one line now, not an EEXIST after the whole run.
  prepareOutputFolder(out);
  const candidates = await candidatesOf(args, io);
  const report = await strategyWalkForward({
    paths: data,
    config,
    ...(range.from !== undefined ? { from: range.from } : {}),
    ...(range.to !== undefined ? { to: range.to } : {}),
    foldDays: foldMs / DAY,
    ...(candidates ? { candidates } : {}),
    signal: io.signal,
    onLog: (line) => io.stderr.write(`${line}\n`),
  });
  await writeFile(join(out, 'walk-forward.json'), `${JSON.stringify(report, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  await writeFile(join(out, 'walk-forward.html'), strategyWalkForwardHtml(report));
  io.stdout.write(`${strategyWalkForwardText(report)}wrote ${join(out, 'walk-forward.json')} and ${join(out, 'walk-forward.html')}\n`);
  if (candidates) await writeNext(args, out, candidates.find((c) => c.label === report.next), io);
  return 0;
}

/**
 * `next.json`: the profile to trade after the span (the best Sharpe over all of it, shown to beat cash) as
 * a file `--config` takes: the configured file with the user's `--set` and the candidate's values, nothing
 * from the environment. When the pick is cash there is no file, and one left by an earlier run is removed,
 * so a stale pick is never traded.
 */
async function writeNext(args: ParsedArgs, out: string, next: { readonly sets: readonly string[] } | undefined, io: CommandIo): Promise<void> {
  const path = join(out, 'next.json');
  if (!next) {
    await rm(path, { force: true });
    io.stdout.write(`no profile of the grid was shown to beat cash over the span: the pick to trade next is cash (no ${path})\n`);
    return;
  }
  const file = args.strings.get('config');
  const profile = rawProfile({ ...(file !== undefined ? { file } : {}), set: [...(args.lists.get('set') ?? []), ...next.sets] });
  await writeFile(path, `${JSON.stringify(profile, null, 2)}\n`);
  io.stdout.write(`wrote ${path}: the profile to trade next (for --config of coinrx backtest, paper or live)\n`);
}
