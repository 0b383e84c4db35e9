/**
 * One schema for all configuration. Sources, later ones winning: schema defaults → a JSON profile
 * (`config/*.json`, `--config f`) → CLI overrides (`--set path=value` and the command's own flags).
 * A bad value fails at start with the field path and what was expected.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './core/windows.js';

/** A duration: milliseconds as a number, or text such as `500ms`, `30s`, `5m`, `1h`, `1d`. */
const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
const fraction = z.number().min(0).max(1);
const positive = z.number().positive();

export const configSchema = z
  .strictObject({
    /** Identifies this bot in Redis keys and logs. */
    botId: z.string().regex(/^[a-z0-9_-]+$/i).default('coinrx'),
    exchange: z
      .strictObject({
        /** ccxt exchange id. */
        id: z.string().default('upbit'),
        /** Quote currency whose markets are watched. */
        quote: z.string().default('KRW'),
        /** Restrict to these markets (`BTC/KRW`); empty means all of the quote currency. */
        markets: z.array(z.string()).default([]),
      })
      .prefault({}),
    features: z
      .strictObject({
        /** Snapshot cadence in event time. */
        every: duration.default(60_000),
        /** A market with no event for this long leaves the snapshots. */
        staleAfter: duration.default(3_600_000),
      })
      .prefault({}),
    filter: z
      .strictObject({
        /** Minimum traded value (quote) over 1 day for a coin to be ranked. */
        minValue1d: z.number().nonnegative().default(0),
        /** Minimum number of trades over 1 day. */
        minTrades1d: z.number().int().nonnegative().default(0),
      })
      .prefault({}),
    ranking: z
      .strictObject({
        /** Length of the ranking list. */
        top: z.number().int().positive().default(10),
        /** A model folder written by `coinrx ranker train` (models/<version>); empty: the heuristic score. */
        model: z.string().default(''),
      })
      .prefault({}),
    strategy: z
      .strictObject({
        /** Take-profit return, net of fees (0.01 = +1 %). */
        takeProfit: positive.default(0.01),
        /** Stop-loss return, net of fees, as a positive number (0.01 = −1 %). */
        stopLoss: positive.default(0.01),
        /** Exit after holding this long. */
        maxHold: duration.default(6 * 3_600_000),
        /** Cancel a buy not filled within this time. */
        buyTimeout: duration.default(10 * 60_000),
        /** Cancel (then re-price at the new touch) a sell resting this long above the bid; 0 never. */
        sellTimeout: duration.default(30 * 60_000),
        /** Cancel a buy when the price ran this many ticks away from it. */
        chaseTicks: z.number().int().nonnegative().default(20),
        /** A folder written by `coinrx agent train`: its promoted RL agent decides instead of the rules above (exits, sizing and risk limits stay). */
        agent: z.string().default(''),
        /** Do not buy while market breadth is bearish. */
        skipBearMarket: z.boolean().default(true),
      })
      .prefault({}),
    allocation: z
      .strictObject({
        mode: z.enum(['equal', 'score', 'volatility']).default('equal'),
        maxPositions: z.number().int().positive().default(5),
        /** Largest fraction of equity in one coin. */
        maxPerCoin: fraction.default(0.2),
        /** Fraction of equity always kept in cash. */
        cashReserve: fraction.default(0.05),
      })
      .prefault({}),
    bot: z
      .strictObject({
        /** Stop for the day when the day's loss exceeds this fraction of the day's starting equity. */
        dailyLossLimit: fraction.default(0.05),
        /** Stop when equity falls this fraction below its peak. */
        maxDrawdown: fraction.default(0.2),
        /** What stopping does with holdings (open buys are always cancelled). */
        onStop: z.enum(['keep', 'liquidate']).default('keep'),
      })
      .prefault({}),
    simulator: z
      .strictObject({
        /** Starting quote balance of the simulated account. */
        initialBalance: positive.default(10_000_000),
        /** `through`: the market must trade at least one tick beyond the limit; `touch`: at the limit. */
        fillModel: z.enum(['through', 'touch']).default('through'),
        /** Largest fraction of a print's volume one order can take. */
        participation: fraction.default(1),
        /** Event-time latency of acknowledgements, fills and cancels. */
        latency: duration.default(0),
        /** Fee rate per side for markets without exchange rules (Upbit KRW uses its own 0.05 %). */
        feeRate: fraction.default(0.001),
      })
      .prefault({}),
    redis: z
      .strictObject({
        /** `redis://host:port/db`; empty means the in-memory store. Usually from `REDIS_URL`. */
        url: z.string().default(''),
        /** Event log bound in entries (Redis trims approximately, `MAXLEN ~`). */
        eventLogMaxLen: z.number().int().positive().default(100_000),
        /** Event log bound by age (`MINID ~`), on top of the length bound; 0: none. */
        eventLogMaxAge: duration.default(0),
        /** Log entries kept waiting while Redis is away; past it the oldest are dropped and counted. */
        maxPendingEvents: z.number().int().positive().default(100_000),
      })
      .prefault({}),
    log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
    /** Seed of every random generator of a run. */
    seed: z.number().int().default(1),
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The field names of the object the schema expects at `path` (through defaults and prefaults). */
function fieldsAt(path: readonly PropertyKey[]): readonly string[] {
  const shapeOf = (schema: unknown): Record<string, unknown> | undefined => {
    let node = schema as { shape?: Record<string, unknown>; _zod?: { def: { innerType?: unknown } } } | undefined;
    // Unwrap default/prefault/optional layers down to an object.
    for (let i = 0; i < 5 && node && !node.shape; i++) node = node._zod?.def.innerType as typeof node;
    return node?.shape;
  };
  let shape = shapeOf(configSchema);
  for (const key of path) shape = shape && shapeOf(shape[String(key)]);
  return shape ? Object.keys(shape) : [];
}

/** Edit distance, case-insensitive (a misspelled field is usually a letter or a case away). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) row.push(Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[y.length] as number;
}

/** The known field closest to a misspelled one, when it is close enough to be what was meant. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Validates raw configuration; throws ConfigError listing each bad field as `path: problem`. */
export function parseConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const known = fieldsAt(issue.path);
        return issue.keys.map((key) => {
          const near = nearestKey(key, known);
          return `${[...issue.path, key].join('.')}: unknown field${near ? ` (did you mean ${[...issue.path, near].join('.')}?)` : ''}`;
        });
      }
      const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      return [`${path}: ${issue.message}`];
    }),
  );
}

/**
 * Sets `a.b.c` in a plain object. The value is parsed as JSON when it is valid JSON (numbers,
 * booleans, arrays), else kept as a string, so `--set strategy.maxHold=2h` and
 * `--set ranking.top=5` both work.
 */
export function setPath(target: Record<string, unknown>, path: string, text: string): void {
  const keys = path.split('.');
  if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) {
    throw new ConfigError([`${path}: not a valid field path`]);
  }
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  node[keys[keys.length - 1] as string] = value;
}

export interface LoadConfigOptions {
  /** JSON profile path. */
  readonly file?: string;
  /** `path=value` overrides, applied in order. */
  readonly set?: readonly string[];
  /** Environment (REDIS_URL, LOG_LEVEL). */
  readonly env?: NodeJS.ProcessEnv;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  let raw: Record<string, unknown> = {};
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new ConfigError([`${options.file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError([`${options.file}: not valid JSON (${(error as Error).message})`]);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError([`${options.file}: expected a JSON object`]);
  }
  const env = options.env ?? {};
  if (env['REDIS_URL']) setPath(raw, 'redis.url', JSON.stringify(env['REDIS_URL']));
  if (env['LOG_LEVEL']) setPath(raw, 'log.level', JSON.stringify(env['LOG_LEVEL']));
  for (const assignment of options.set ?? []) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new ConfigError([`--set ${assignment}: expected path=value`]);
    setPath(raw, assignment.slice(0, eq), assignment.slice(eq + 1));
  }
  return Object.freeze(parseConfig(raw));
}
