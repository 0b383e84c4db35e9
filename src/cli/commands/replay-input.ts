import { Subject } from 'rxjs';
import type { MarketEvent } from '../../core/index.js';
import { loadConfig, type Config } from '../../config.js';
import { basename } from 'node:path';
import { expandPaths, hintsFromFileName, parseQuoteName, type FileStats, type ReplaySource } from '../../market-data/index.js';
import { marketFlag } from './replay-args.js';
import { InputError } from '../../core/index.js';
import { isDefaultInitialBalance } from '../../config.js';
import { parseDuration } from '../../core/index.js';
import { UsageError, type ParsedArgs } from '../args.js';
import type { CommandIo } from '../command.js';
import { noEventInRangeError, type TimeRange } from '../../core/time-range.js';
import { quoteOf } from '../../core/market-symbol.js';
import { groupedNumber } from '../../core/grouped-number.js';

/** The configuration of a command: profile (`--config`, else `defaultFile` if given), --set overrides and environment. */
export function commandConfig(args: ParsedArgs, io: CommandIo, extra: readonly string[] = [], defaultFile?: string): Config {
  const file = args.strings.get('config') ?? defaultFile;
  return loadConfig({ ...(file ? { file } : {}), set: [...(args.lists.get('set') ?? []), ...extra], env: io.env });
}

export function durationFlag(args: ParsedArgs, name: string): number | undefined {
  const text = args.strings.get(name);
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}

/**
 * Pushes the replay through `events$` synchronously, batch by batch, awaiting `afterBatch` (output
 * backpressure) between batches and stopping early when the command is interrupted. Events before
 * `range.from` still go through (they warm the features up; the caller writes only what falls in the
 * range) and reading stops at the first event at or after `range.to`. An event older than the last one
 * is fed at the last one's time, as the kernel feeds the engine (kernel.ts `feed`): the features written
 * are those a backtest trades on, not a copy that drops such events (a capture's trades behind a
 * bookTicker stamped from its receive time were most of them). Answers how many were fed later.
 */
export async function pumpRange(range: TimeRange, source: ReplaySource, events$: Subject<MarketEvent>, io: CommandIo, afterBatch: () => Promise<void>): Promise<number> {
  const to = range.to ?? Infinity;
  const from = range.from ?? -Infinity;
  let ended = false;
  let last = -Infinity;
  let late = 0;
  let first: number | undefined;
  let reached = false;
  for await (const batch of source.batches()) {
    for (let i = 0; i < batch.length; i++) {
      let event = batch[i] as MarketEvent;
      first ??= event.ts;
      if (event.ts >= to) {
        ended = true;
        break;
      }
      if (event.ts >= from) reached = true;
      if (event.ts >= last) last = event.ts;
      else {
        event = Object.assign({}, event, { ts: last });
        late++;
      }
      events$.next(event);
    }
    await afterBatch();
    if (ended || io.signal.aborted) break;
  }
  // As a backtest: a range the data never reaches is an error, before the end of the input writes the
  // ranking in force at the data's end as the range's (rank) or an empty file passes for a result (features).
  if (first !== undefined && !reached && !io.signal.aborted) throw noEventInRangeError(range, first, Number.isFinite(last) ? last : first);
  events$.complete();
  await afterBatch();
  return late;
}

export function reportStats(source: ReplaySource, io: CommandIo, extra: string): void {
  const s = source.stats();
  // Files that failed part-way (--skip-broken-files): each named with its fault, its events before it used.
  const broken = s.files.filter((f) => f.error !== undefined);
  for (const f of broken) io.stderr.write(`warning: ${f.error}: the file was read up to there (${f.events} events used) and the rest of it skipped (--skip-broken-files)\n`);
  // Beside files that gave events, one that gave none (empty, a header alone, every row malformed, not market
  // data) is named: else a coin missing from a folder of thirty goes unseen. A read of nothing is requireEvents' error.
  const idle = s.events > 0 ? s.files.filter((f) => f.events === 0 && f.error === undefined) : [];
  for (const f of idle.slice(0, NO_EVENTS_FILES_SHOWN)) io.stderr.write(`warning: ${f.file}: no market events (${whyNoEvents(f)})\n`);
  if (idle.length > NO_EVENTS_FILES_SHOWN) io.stderr.write(`warning: and ${idle.length - NO_EVENTS_FILES_SHOWN} more file(s) with no market events\n`);
  io.stderr.write(`read ${s.events} events from ${s.files.length} file(s)${broken.length > 0 ? ` (${broken.length} of them broken part-way)` : ''}; ${s.malformed} malformed and ${s.ignored} ignored records skipped; ${extra}\n`);
}

/** `--quote`, checked and upper-cased. */
export function quoteFlag(args: ParsedArgs): string | undefined {
  const text = args.strings.get('quote');
  if (text === undefined) return undefined;
  const quote = parseQuoteName(text);
  if (typeof quote !== 'string') throw new UsageError(`--quote: ${quote.reason}`);
  return quote;
}

/**
 * Refuses a quote the data cannot have before reading it: when `--market` or every file's name says
 * its market and none is quoted in `quote` (files whose names say nothing are checked by the run).
 */
export async function checkQuoteAgainstData(args: ParsedArgs, quote: string): Promise<void> {
  const market = marketFlag(args);
  const markets = market !== undefined ? [market] : (await expandPaths(args.lists.get('data') ?? [])).map((f) => hintsFromFileName(basename(f.file)).market);
  if (markets.length === 0 || markets.some((m) => m === undefined)) return;
  const quotes = new Set(markets.map((m) => quoteOf(m as string)));
  if (!quotes.has(quote)) throw new InputError(`--quote ${quote}: the data has no ${quote} market (its markets are quoted in ${[...quotes].sort().join(', ')})`);
}

/** The starting balance line printed before a run, saying where the figure came from. */
export function balanceLine(command: string, config: Config): string {
  const sim = config.simulator;
  const quote = config.exchange.quote;
  const from = isDefaultInitialBalance(config) ? `the ${quote} default; set simulator.initialBalance to change it` : 'simulator.initialBalance';
  return `${command}: trading ${quote} markets from ${groupedNumber(sim.initialBalance, 8)} ${quote} (${from})\n`;
}

/** Why a file gave no event. A file skipped as not market data has no records either: its reason says more than "empty". */
function whyNoEvents(f: FileStats): string {
  return f.skipped ?? (f.records === 0 ? 'empty' : `${f.malformed} malformed, ${f.ignored} ignored records`);
}

/** Files named in the error of a read that produced nothing (and in warnings beside a read that did); a folder of hundreds gets one line, not hundreds. */
const NO_EVENTS_FILES_SHOWN = 5;

/**
 * After a command's read: a read that produced no event at all is an error (exit 1) naming the files and
 * why each gave nothing, not a run that wrote nothing and said only "0 events".
 */
export function requireEvents(source: ReplaySource): void {
  if (source.stats().events === 0) throw noEventsError(source);
}

/** A read that produced no events, said with the files that were read and why each gave nothing. */
export function noEventsError(source: ReplaySource): InputError {
  const files = source.stats().files;
  const why = files.map((f) => `${f.file} (${whyNoEvents(f)})`);
  const more = why.length - NO_EVENTS_FILES_SHOWN;
  const listed = more > 0 ? `${why.slice(0, NO_EVENTS_FILES_SHOWN).join(', ')} and ${more} more file(s)` : why.join(', ');
  return new InputError(`no market events in ${why.length > 0 ? listed : 'the data'}`);
}
