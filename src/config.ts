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

const configObject = z
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
        /** Live: the markets' rules (tick, lot, halted or trading) are re-read this often in the background (0: read at the start only). */
        rulesEvery: duration.default(300_000),
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
        /** Trailing stop: armed once a position's net return reached this (0: off) … */
        trailActivate: fraction.default(0),
        /** … it sells when the net return falls this far below the best since. */
        trailDistance: fraction.default(0),
        /**
         * The entry gate (strategies/edge-gate.ts) between the strategy's buys and the allocator: a regime
         * filter, a stake that caps what a stop-loss costs, and the expected-value gate with a Kelly stake.
         */
        gate: z
          .strictObject({
            /** Buy only while the market breadth at `regimeHorizon` is at least `regimeMin` (−1: off). */
            regimeHorizon: z.enum(['1h', '6h', '12h', '24h']).default('24h'),
            regimeMin: z.number().min(-1).max(1).default(-1),
            /** Stake at most riskPerTrade / stopLoss of equity, so one stop-loss costs about riskPerTrade (0: off). */
            riskPerTrade: fraction.default(0),
            /** Buy only while the ranking's recent paper trades, closed by these same exits, expect more than `margin` net. */
            edge: z.boolean().default(false),
            margin: z.number().min(0).max(0.1).default(0.002),
            minTrades: z.number().int().nonnegative().default(30),
            window: z.number().int().positive().default(200),
            /** Share of the Kelly stake, and the largest stake of one entry. */
            kelly: fraction.default(0.5),
            maxFraction: fraction.default(0.2),
            /** Risk on (strategies/risk-on.ts): while the breadth at `regimeHorizon` is at least this, buys skip the expected-value gate, staked at maxFraction (0: off). */
            riskOn: fraction.default(0),
          })
          .prefault({}),
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
        /** Scale every stake by max(0, 1 − drawdown / bot.maxDrawdown): smaller and smaller buys in a losing run, none at the kill switch. */
        drawdownScaling: z.boolean().default(false),
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
        /**
         * `paper`, once trading: the nice value (0–19) given to every thread of the process but the
         * main one (V8's compiler and GC helpers, libuv's pool), so the order path gets the core first when
         * the machine has none free (src/engine/background-threads.ts, docs/latency.md); 0 leaves them alone.
         * Linux only. Usually from `COINRX_BACKGROUND_NICE`.
         */
        backgroundNice: z.number().int().min(0).max(19).default(19),
      })
      .prefault({}),
    simulator: z
      .strictObject({
        /** Starting quote balance of the simulated account; default: the traded quote's (DEFAULT_INITIAL_BALANCES). */
        initialBalance: positive.optional(),
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
        /** A live restart waits this long for Redis (with a countdown) before exiting: it never trades without its restore. */
        restoreWaitMs: duration.default(60_000),
      })
      .prefault({}),
    log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
    /** Seed of every random generator of a run. */
    seed: z.number().int().default(1),
  });

/**
 * The starting balance a simulated account gets in each quote currency unless `simulator.initialBalance`
 * says otherwise: about 10,000 US dollars' worth (KRW's 10,000,000 is Upbit's usual test amount), so the
 * same strategy sizes orders alike on KRW, dollar and coin-quoted data.
 */
export const DEFAULT_INITIAL_BALANCES: Readonly<Record<string, number>> = Object.freeze({
  KRW: 10_000_000,
  USDT: 10_000,
  USDC: 10_000,
  FDUSD: 10_000,
  BUSD: 10_000,
  TUSD: 10_000,
  DAI: 10_000,
  USD: 10_000,
  EUR: 10_000,
  GBP: 10_000,
  JPY: 1_000_000,
  BTC: 0.25,
  ETH: 5,
  BNB: 30,
});

/** Simulator sections whose initialBalance is the quote's default (not written by the user): a backtest on another quote takes that quote's. */
const defaultedBalances = new WeakSet<object>();

type ParsedObject = z.output<typeof configObject>;
type Simulator = Omit<ParsedObject['simulator'], 'initialBalance'> & { readonly initialBalance: number };

export const configSchema = configObject.transform((parsed, ctx): Omit<ParsedObject, 'simulator'> & { simulator: Simulator } => {
  const sim = parsed.simulator;
  const quote = parsed.exchange.quote;
  const initialBalance = sim.initialBalance ?? DEFAULT_INITIAL_BALANCES[quote];
  if (initialBalance === undefined) {
    ctx.addIssue({ code: 'custom', path: ['simulator', 'initialBalance'], message: `no default starting balance for ${quote}; set one (e.g. simulator.initialBalance=10000)` });
    return z.NEVER;
  }
  // initialBalance first, as in the schema, so summary.json's config keeps its key order.
  const simulator: Simulator = Object.assign({ initialBalance }, sim, { initialBalance });
  if (sim.initialBalance === undefined) defaultedBalances.add(simulator);
  return { ...parsed, simulator };
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** The default starting balance of a quote currency, if it has one. */
export function defaultInitialBalance(quote: string): number | undefined {
  return DEFAULT_INITIAL_BALANCES[quote];
}

/** True when `simulator.initialBalance` is the quote's default rather than the user's figure. */
export function isDefaultInitialBalance(config: Config): boolean {
  return defaultedBalances.has(config.simulator);
}

/**
 * The configuration a run trading `quote` uses: `exchange.quote` set to it and, unless the user gave a
 * starting balance, that quote's default one. Unchanged when the quote is already the configured one.
 */
export function configForQuote(config: Config, quote: string): Config {
  if (quote === config.exchange.quote) return config;
  const defaulted = isDefaultInitialBalance(config);
  const initialBalance = defaulted ? defaultInitialBalance(quote) : config.simulator.initialBalance;
  if (initialBalance === undefined) throw new ConfigError([`simulator.initialBalance: no default starting balance for ${quote}; set one (e.g. --set simulator.initialBalance=10000)`]);
  const simulator: Simulator = { ...config.simulator, initialBalance };
  if (defaulted) defaultedBalances.add(simulator);
  return Object.freeze({ ...config, exchange: { ...config.exchange, quote }, simulator });
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    // One line, each bad field with its path: what a terminal, a log line or a CI annotation shows whole.
    super(`invalid configuration: ${issues.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** The field names of the object the schema expects at `path` (through defaults and prefaults). */
export function fieldsAt(path: readonly PropertyKey[], schema: unknown = configObject): readonly string[] {
  const shapeOf = (schema: unknown): Record<string, unknown> | undefined => {
    let node = schema as { shape?: Record<string, unknown>; _zod?: { def: { innerType?: unknown } } } | undefined;
    // Unwrap default/prefault/optional layers down to an object.
    for (let i = 0; i < 5 && node && !node.shape; i++) node = node._zod?.def.innerType as typeof node;
    return node?.shape;
  };
  let shape = shapeOf(schema);
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

/**
 * Each issue of a failed parse as `path: problem`, a misspelled field with the nearest one the schema
 * knows; also for the ranker's and the RL settings, which are strict objects of their own.
 */
export function issueLines(issues: z.ZodError['issues'], schema: unknown = configObject): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const known = fieldsAt(issue.path, schema);
      return issue.keys.map((key) => {
        const near = nearestKey(key, known);
        // A section's field written at the top (`fillModel` for `simulator.fillModel`): name its place.
        const section = near === undefined && issue.path.length === 0 ? known.find((s) => fieldsAt([s], schema).includes(key)) : undefined;
        const hint = near !== undefined ? [...issue.path, near].join('.') : section !== undefined ? `${section}.${key}` : undefined;
        return `${[...issue.path, key].join('.')}: unknown field${hint ? ` (did you mean ${hint}?)` : ''}`;
      });
    }
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return [`${path}: ${issue.message}`];
  });
}

/** Validates raw configuration; throws ConfigError listing each bad field as `path: problem`. */
export function parseConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(issueLines(result.error.issues));
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
  /** Environment (REDIS_URL, LOG_LEVEL, COINRX_BACKGROUND_NICE). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The profile as written, before the environment and the defaults: the file's JSON with each `--set`
 * applied. What a profile file derived from another holds (`ranker walk-forward --choose` writes the pick
 * to trade next with it): no field the environment supplied, so no secret (a password in REDIS_URL) lands
 * in a file.
 */
export function rawProfile(options: Pick<LoadConfigOptions, 'file' | 'set'> = {}): Record<string, unknown> {
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
  for (const assignment of options.set ?? []) applySet(raw, assignment);
  return raw;
}

/** Applies one `--set path=value`; returns the path. */
function applySet(raw: Record<string, unknown>, assignment: string): string {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ConfigError([`--set ${assignment}: expected path=value`]);
  const path = assignment.slice(0, eq);
  setPath(raw, path, assignment.slice(eq + 1));
  return path;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const raw = rawProfile({ ...(options.file !== undefined ? { file: options.file } : {}) });
  const env = options.env ?? {};
  /** Fields set from the environment and not overridden by --set: a bad value there names its variable. */
  const fromEnv = new Map<string, string>();
  for (const [variable, path, kind] of ENV_FIELDS) {
    const value = env[variable];
    if (!value) continue;
    // A number field takes the text as a number when it is one (anything else fails validation, naming the variable).
    setPath(raw, path, kind === 'number' && Number.isFinite(Number(value)) ? String(Number(value)) : JSON.stringify(value));
    fromEnv.set(path, variable);
  }
  for (const assignment of options.set ?? []) fromEnv.delete(applySet(raw, assignment));
  try {
    return Object.freeze(parseConfig(raw));
  } catch (error) {
    if (!(error instanceof ConfigError) || fromEnv.size === 0) throw error;
    throw new ConfigError(error.issues.map((issue) => {
      const path = issue.slice(0, issue.indexOf(':'));
      const variable = fromEnv.get(path);
      return variable === undefined ? issue : `${path} (from ${variable})${issue.slice(path.length)}`;
    }));
  }
}

/** The environment variables a configuration reads, and the field each sets (--set wins over them). */
const ENV_FIELDS: readonly (readonly [variable: string, path: string, kind: 'string' | 'number'])[] = [
  ['REDIS_URL', 'redis.url', 'string'],
  ['LOG_LEVEL', 'log.level', 'string'],
  ['COINRX_BACKGROUND_NICE', 'bot.backgroundNice', 'number'],
];
