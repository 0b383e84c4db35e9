import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { catchError, map, Observable, Subscriber, type Observer } from 'rxjs';
import type { Config } from '../config.js';
import type { Decision } from '../core/index.js';
import { InputError } from '../core/input-error.js';
import type { Strategy, StrategyContext, StrategyFactory } from '../../strategies/index.js';

/** A strategy module that cannot be used: the message names the file and what is wrong, on one line. */
export class StrategyModuleError extends InputError {
  override name = 'StrategyModuleError';
}

/** The export a strategy module must have. */
export const STRATEGY_EXPORT = 'createStrategy';

const KINDS = new Set(['BUY', 'SELL', 'CANCEL_BUY', 'CANCEL_SELL']);

/** The configured numbers a strategy is built with (see StrategyContext). */
export function strategyContext(config: Config, feeRate: number): StrategyContext {
  const s = config.strategy;
  return { feeRate, takeProfit: s.takeProfit, stopLoss: s.stopLoss, maxHoldMs: s.maxHold, buyTimeoutMs: s.buyTimeout, chaseTicks: s.chaseTicks, skipBearMarket: s.skipBearMarket, sellTimeoutMs: s.sellTimeout, trailActivate: s.trailActivate, trailDistance: s.trailDistance, maxPositions: config.allocation.maxPositions };
}

/** A path (`./x.ts`, `/abs/x.js`, `x.ts`) or a package name (`my-strategies`, `@me/strategies/momentum`). */
function looksLikePath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || /\.(?:[cm]?[jt]s)$/.test(spec);
}

let tsxRegistered = false;

async function importModule(url: string, shown: string): Promise<Record<string, unknown>> {
  try {
    // First under a query: Node remembers a failed load of a URL (and CommonJS loads of its file), so
    // the plain URL stays free for the retry below.
    return (await import(`${url}?strategy`)) as Record<string, unknown>;
  } catch (error) {
    // The compiled CLI runs on plain Node: TypeScript modules load through tsx (a dependency), registered once.
    if ((error as NodeJS.ErrnoException).code === 'ERR_UNKNOWN_FILE_EXTENSION' && !tsxRegistered) {
      tsxRegistered = true;
      const { register } = await import('tsx/esm/api');
      register();
      try {
        return (await import(url)) as Record<string, unknown>;
      } catch (retried) {
        throw loadError(retried, shown);
      }
    }
    throw loadError(error, shown);
  }
}

function loadError(error: unknown, shown: string): StrategyModuleError {
  const lines = ((error as Error).message ?? String(error)).split('\n');
  // A syntax error through tsx reads "Transform failed with 1 error:"; the file, line and column follow.
  const first = lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1].trim()}` : lines[0];
  return new StrategyModuleError(`--strategy ${shown}: cannot load the module: ${first}`);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The file a `--strategy` value names: a path relative to `cwd`, or an installed package's entry; a StrategyModuleError when there is none. */
export function strategyModuleFile(spec: string, cwd: string): string {
  if (looksLikePath(spec)) {
    const path = resolve(cwd, spec);
    if (!existsSync(path)) throw new StrategyModuleError(`--strategy ${spec}: no such file (${path})`);
    return path;
  }
  try {
    return createRequire(join(cwd, 'package.json')).resolve(spec);
  } catch {
    throw new StrategyModuleError(`--strategy ${spec}: not a file and no installed package of that name (give a path such as ./strategies/${spec}.ts)`);
  }
}

/**
 * Loads a strategy module: a file (`.ts`, `.js`, `.mjs`; relative to `cwd`) or an installed package. It
 * must export `createStrategy(context)` returning the strategy operator. Every failure is a
 * StrategyModuleError naming the file and what is missing.
 */
export async function loadStrategyModule(spec: string, cwd: string): Promise<{ readonly file: string; readonly create: StrategyFactory }> {
  const shown = spec;
  const module = await importModule(pathToFileURL(strategyModuleFile(spec, cwd)).href, shown);
  const create = module[STRATEGY_EXPORT];
  if (create === undefined) {
    const names = Object.keys(module).filter((k) => k !== STRATEGY_EXPORT);
    const has = names.length === 0 ? 'it exports nothing' : `it exports ${names.join(', ')}`;
    throw new StrategyModuleError(`--strategy ${shown}: missing export "${STRATEGY_EXPORT}" (${has}); a strategy module exports function ${STRATEGY_EXPORT}(context) returning the strategy operator (docs/strategies.md; coinrx new-strategy writes one)`);
  }
  if (typeof create !== 'function') throw new StrategyModuleError(`--strategy ${shown}: export "${STRATEGY_EXPORT}" is ${describeValue(create)}, not a function (context) => strategy`);
  const file = basename(shown);
  return {
    file: shown,
    create: (context) => {
      const strategy = (create as (c: StrategyContext) => unknown)(context);
      if (typeof strategy !== 'function') throw new StrategyModuleError(`--strategy ${shown}: ${STRATEGY_EXPORT}(context) returned ${describeValue(strategy)}, not a strategy operator (source$) => Observable<Decision>`);
      return checkedStrategy(strategy as Strategy, file);
    },
  };
}

/** Where in the user's module an error was thrown (`bad.ts:42:7`), from its stack, or '' when no frame is the module's. */
function thrownAt(error: unknown, file: string): string {
  const frame = ((error as Error)?.stack ?? '').split('\n').find((l) => /^\s+at /.test(l) && l.includes(file));
  const place = frame?.match(/([^/\\(\s]+:\d+:\d+)\)?\s*$/)?.[1];
  // The module is imported under a query (`bad.ts?strategy`, importModule): not part of its name.
  return place === undefined ? '' : ` (at ${place.replace(/\?[^:]*/, '')})`;
}

/** A user strategy's error as one line naming its file (a StrategyModuleError already does). */
function strategyFailure(error: unknown, file: string): StrategyModuleError {
  if (error instanceof StrategyModuleError) return error;
  const message = (error as Error)?.message ?? String(error);
  return new StrategyModuleError(`strategy ${file} threw: ${message.split('\n')[0]}${thrownAt(error, file)}`);
}

/**
 * The strategy's input as the user's module sees it: an observer the module subscribes itself (the
 * template's `source.subscribe({ next(input) { … } })`) has its throws sent to `fail`. rxjs would
 * otherwise report them as unhandled, outside the run: a stack trace, or the run going on without the
 * strategy's answer. Operators (pipe) subscribe with a Subscriber, whose errors already flow down.
 */
function guardedSource<T>(source: Observable<T>, fail: (error: unknown) => void): Observable<T> {
  const guarded = new Observable<T>((subscriber) => source.subscribe(subscriber));
  const subscribe = guarded.subscribe.bind(guarded);
  const guard =
    <A extends unknown[]>(f: ((...a: A) => void) | undefined, self: unknown) =>
    (...a: A): void => {
      try {
        f?.apply(self, a);
      } catch (error) {
        fail(error);
      }
    };
  guarded.subscribe = ((observer?: Partial<Observer<T>> | ((value: T) => void) | null) => {
    if (observer === null || observer === undefined || observer instanceof Subscriber) return subscribe(observer ?? undefined);
    if (typeof observer === 'function') return subscribe(guard(observer, undefined));
    return subscribe({ next: guard(observer.next, observer), error: guard(observer.error, observer), complete: guard(observer.complete, observer) });
  }) as typeof guarded.subscribe;
  return guarded;
}

/**
 * The user strategy's decisions, each checked: a malformed one stops the run with its file named, and
 * so does an error the module throws (from an operator or from its own subscriber to the input).
 */
export function checkedStrategy(strategy: Strategy, file: string): Strategy {
  return (source) =>
    new Observable<Decision>((out) => {
      const decisions = strategy(guardedSource(source, (error) => out.error(strategyFailure(error, file))));
      return decisions
        .pipe(
          map((d: Decision) => {
            if (d === null || typeof d !== 'object' || !KINDS.has(d.kind) || typeof d.market !== 'string' || !Number.isFinite(d.ts) || typeof d.reason !== 'string') {
              throw new StrategyModuleError(`strategy ${file} emitted ${JSON.stringify(d)}: a decision needs kind (BUY, SELL, CANCEL_BUY, CANCEL_SELL), market, ts and reason`);
            }
            return d;
          }),
          catchError((error: unknown) => {
            throw strategyFailure(error, file);
          }),
        )
        .subscribe(out);
    });
}
