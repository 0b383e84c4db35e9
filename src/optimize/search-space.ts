/**
 * The search space of `coinrx optimize`: a JSON object whose keys are configuration paths and whose
 * values say what to try there, a range or a list of choices:
 *
 * ```json
 * { "strategy.takeProfit": { "min": 0.005, "max": 0.04 },
 *   "strategy.maxHold": { "choices": ["6h", "12h", "24h"] },
 *   "allocation.maxPositions": { "min": 2, "max": 8 },
 *   "filter.minValue1d": { "min": 1000, "max": 1000000, "log": true } }
 * ```
 *
 * A range is `min`/`max` (numbers, or durations such as `"30m"` for duration fields), optionally `step`
 * (values on the grid min + k·step), `log` (log-uniform, min > 0) and `int` (whole numbers; detected
 * by itself for whole-number fields). Every bound and choice is checked against the configuration
 * schema when the file is read, so a bad value names its path before anything runs.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig, type Config } from '../config.js';
import { parseDuration } from '../core/windows.js';

export type ParameterValue = number | string | boolean;

export type Parameter =
  | { readonly kind: 'range'; readonly path: string; readonly min: number; readonly max: number; readonly step?: number; readonly log: boolean; readonly integer: boolean }
  | { readonly kind: 'choice'; readonly path: string; readonly choices: readonly ParameterValue[] };

export interface SearchSpace {
  readonly parameters: readonly Parameter[];
}

/** A bad search space: the message names the file and the path in it. */
export class SearchSpaceError extends Error {
  override name = 'SearchSpaceError';
}

/** Sections a search may change: what the bot decides. The rest describes the market, the account or the plumbing. */
const SEARCHABLE = ['strategy', 'allocation', 'filter', 'ranking', 'features', 'bot'] as const;
const NOT_SEARCHABLE: Readonly<Record<string, string>> = {
  simulator: 'the simulator describes the exchange (fees, fills, latency), and a search must not tune the market to the strategy',
  exchange: 'the exchange and its markets are the data, not a parameter',
  redis: 'Redis is plumbing',
  log: 'logging changes no result',
  botId: 'the bot id changes no result',
  seed: 'the seed is --seed',
};

const RANGE_KEYS = new Set(['min', 'max', 'step', 'log', 'int']);

/** `base` with `values` set at their paths, validated by the configuration schema (ConfigError names the path). */
export function configWith(base: Config, values: Readonly<Record<string, ParameterValue>>): Config {
  const raw = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const [path, value] of Object.entries(values)) {
    const keys = path.split('.');
    let node = raw;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1] as string] = value;
  }
  return Object.freeze(parseConfig(raw));
}

function fail(source: string, path: string, message: string): never {
  throw new SearchSpaceError(`${source}: "${path}": ${message}`);
}

/** The schema's verdict on `value` at `path`, as a problem text, or undefined when accepted. */
function rejection(base: Config, path: string, value: ParameterValue): string | undefined {
  try {
    configWith(base, { [path]: value });
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.join('; ');
    throw error;
  }
}

function bound(source: string, path: string, key: 'min' | 'max' | 'step', value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    try {
      return parseDuration(value);
    } catch {
      fail(source, `${path}.${key}`, `expected a number or a duration such as "30m", got ${JSON.stringify(value)}`);
    }
  }
  return fail(source, `${path}.${key}`, `expected a number, got ${JSON.stringify(value)}`);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** The path must name a field (not a section) of the configuration; a near miss is named. */
function checkField(source: string, path: string, base: Config): void {
  let node: unknown = base;
  const keys = path.split('.');
  keys.forEach((key, i) => {
    const here = node as Record<string, unknown>;
    if (!Object.hasOwn(here, key)) {
      const known = Object.keys(here);
      const near = known.map((k) => [k, editDistance(k, key)] as const).sort((a, b) => a[1] - b[1])[0];
      const prefix = keys.slice(0, i).join('.');
      const hint = near && near[1] <= Math.max(2, key.length / 3) ? ` (did you mean ${prefix ? `${prefix}.` : ''}${near[0]}?)` : ` (known: ${known.join(', ')})`;
      fail(source, path, `not a configuration field${hint}`);
    }
    node = here[key];
  });
  if (typeof node === 'object' && node !== null && !Array.isArray(node)) fail(source, path, `a section, not a field: name one of its fields (${Object.keys(node).join(', ')})`);
  if (Array.isArray(node)) fail(source, path, 'a list field cannot be searched');
}

function parseParameter(source: string, path: string, spec: unknown, base: Config): Parameter {
  const section = path.split('.')[0] as string;
  if (NOT_SEARCHABLE[section] !== undefined) fail(source, path, `not searchable: ${NOT_SEARCHABLE[section]}`);
  if (!(SEARCHABLE as readonly string[]).includes(section) || !path.includes('.')) {
    fail(source, path, `not a searchable configuration field (fields under ${SEARCHABLE.join(', ')})`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) fail(source, path, 'expected { "min": …, "max": … } or { "choices": [...] }');
  const entry = spec as Record<string, unknown>;
  checkField(source, path, base);
  if ('choices' in entry) {
    const extra = Object.keys(entry).filter((k) => k !== 'choices');
    if (extra.length > 0) fail(source, `${path}.${extra[0] as string}`, 'unknown key next to "choices"');
    const choices = entry['choices'];
    if (!Array.isArray(choices) || choices.length === 0) fail(source, `${path}.choices`, 'expected a non-empty array');
    choices.forEach((choice: unknown, i) => {
      if (!['number', 'string', 'boolean'].includes(typeof choice)) fail(source, `${path}.choices[${i}]`, `expected a number, text or true/false, got ${JSON.stringify(choice)}`);
      const problem = rejection(base, path, choice as ParameterValue);
      if (problem !== undefined) fail(source, `${path}.choices[${i}]`, `${JSON.stringify(choice)} is rejected by the configuration: ${problem.replace(/^[^:]*: /, '')}`);
    });
    return { kind: 'choice', path, choices: choices as ParameterValue[] };
  }
  const unknown = Object.keys(entry).filter((k) => !RANGE_KEYS.has(k));
  if (unknown.length > 0) fail(source, `${path}.${unknown[0] as string}`, `unknown key (a range takes ${[...RANGE_KEYS].join(', ')}; a list takes choices)`);
  if (!('min' in entry) || !('max' in entry)) fail(source, path, 'a range needs both "min" and "max" (or give "choices")');
  const min = bound(source, path, 'min', entry['min']);
  const max = bound(source, path, 'max', entry['max']);
  if (!(min <= max)) fail(source, path, `min ${min} is above max ${max}`);
  for (const [key, value] of [['min', min], ['max', max]] as const) {
    const problem = rejection(base, path, value);
    if (problem !== undefined) fail(source, `${path}.${key}`, `${value} is rejected by the configuration: ${problem.replace(/^[^:]*: /, '')}`);
  }
  const log = entry['log'] ?? false;
  if (typeof log !== 'boolean') fail(source, `${path}.log`, 'expected true or false');
  if (log && !(min > 0)) fail(source, `${path}.log`, `a log range needs min > 0, got ${min}`);
  const step = entry['step'] === undefined ? undefined : bound(source, path, 'step', entry['step']);
  if (step !== undefined && !(step > 0)) fail(source, `${path}.step`, `expected a positive step, got ${step}`);
  if (step !== undefined && log) fail(source, path, '"step" and "log" do not go together');
  const intFlag = entry['int'];
  if (intFlag !== undefined && typeof intFlag !== 'boolean') fail(source, `${path}.int`, 'expected true or false');
  // A whole-number field (maxPositions, ranking.top, …) rejects a fraction between its bounds.
  const wholeField = Number.isInteger(min) && max - min >= 1 && rejection(base, path, min + 0.5) !== undefined && rejection(base, path, min + 1) === undefined;
  const integer = intFlag === true || wholeField;
  if (integer && !(Number.isInteger(min) && Number.isInteger(max))) fail(source, path, `a whole-number range needs whole bounds, got ${min} to ${max}`);
  return { kind: 'range', path, min, max, log, integer, ...(step !== undefined ? { step } : {}) };
}

/** Validates a parsed search space against `base` (the configuration the trials start from). */
export function parseSearchSpace(raw: unknown, base: Config, source = 'search space'): SearchSpace {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SearchSpaceError(`${source}: expected a JSON object of configuration paths, e.g. {"strategy.takeProfit": {"min": 0.005, "max": 0.04}}`);
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) throw new SearchSpaceError(`${source}: no parameters to search`);
  return { parameters: entries.map(([path, spec]) => parseParameter(source, path, spec, base)) };
}

export function loadSearchSpace(file: string, base: Config): SearchSpace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SearchSpaceError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SearchSpaceError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseSearchSpace(raw, base, file);
}
