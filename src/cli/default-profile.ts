import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import { groupedNumber } from '../core/grouped-number.js';
import type { ParsedArgs } from './args.js';
import type { CommandIo } from './command.js';
import { commandConfig } from './commands/replay-input.js';

/**
 * `config/default.json` of this package, found from this module's place (src/cli under tsx, dist/src/cli
 * built), so `coinrx paper` finds it from any working directory and after `npm install -g`.
 */
export function defaultProfilePath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const profile = join(dir, 'config', 'default.json');
    if (existsSync(profile) && existsSync(join(dir, 'package.json'))) return profile;
    if (dirname(dir) === dir) throw new Error(`coinrx: config/default.json not found above ${fileURLToPath(import.meta.url)} (a broken install?)`);
  }
}

/**
 * The configuration `paper` and `live` trade: `--config`'s profile, or else `config/default.json` — the
 * paper/live profile (entry gate, trailing stop, drawdown scaling) —, never the schema's bare defaults,
 * whose quick exits without a gate churn into the drawdown halt on a rising market (docs/strategies.md).
 */
export function tradingConfig(args: ParsedArgs, io: CommandIo): Config {
  return commandConfig(args, io, [], args.strings.get('config') ?? defaultProfilePath());
}

/**
 * Which profile a session trades, with the settings a trader checks first; written once the session
 * starts (a start that fails says only why).
 */
export function profileLine(command: string, args: ParsedArgs, config: Config): string {
  const given = args.strings.get('config');
  const file = given ?? defaultProfilePath();
  const name = given ?? (relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file));
  return `${command}: profile ${name}${given === undefined ? ' (the paper/live profile; --config chooses another)' : ''}: ${profileSummary(config)}\n`;
}

/**
 * A replay run without --config trades the schema's bare defaults, not what `paper` and `live` trade: said
 * once, with how to backtest the paper/live profile instead.
 */
export function bareDefaultsLine(command: string, config: Config): string {
  return `${command}: profile none (no --config): the schema's defaults: ${profileSummary(config)}; paper and live trade config/default.json (--config config/default.json to ${command} it)\n`;
}

/** The strategy's exits, its entry gate and the volume filter in one line. */
export function profileSummary(config: Config): string {
  const s = config.strategy;
  const pct = (x: number): string => `${+(x * 100).toFixed(2)} %`;
  const exits = [`take-profit +${pct(s.takeProfit)}`, `stop −${pct(s.stopLoss)}`, ...(s.trailActivate > 0 ? [`trailing ${pct(s.trailDistance)} once +${pct(s.trailActivate)}`] : []), `at most ${hours(s.maxHold)}`].join(', ');
  const gate = s.gate.edge ? `entry gate on (${s.gate.minTrades} paper trades first)` : 'no entry gate';
  const f = config.filter;
  const quote = config.exchange.quote;
  const filter = f.minValue1d > 0 || f.minTrades1d > 0 ? `coins trading ${groupedNumber(f.minValue1d, 0)} ${quote} and ${f.minTrades1d} trades a day` : 'no volume filter';
  return `exits ${exits}; ${gate}; ${filter}`;
}

function hours(ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000} d` : `${+(ms / 3_600_000).toFixed(2)} h`;
}
