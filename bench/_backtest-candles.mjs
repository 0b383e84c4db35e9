/**
 * One child of `npm run bench -- backtest`: the 30-coin 5m candles through the whole engine of the tree
 * `argv[2]` (this checkout, or a previous release's), run from that tree's build (dist/, `argv[7]` =
 * `build`) as `coinrx backtest` runs after `npm install`, or from its TypeScript (`source`, the child then
 * started with `--import tsx`) when the tree has no current build; in memory (`memory`: the events read first, RUNS
 * runs, each figure the median) or from the gzip files (`files`: gunzip, parsing and merging included,
 * one run, as `coinrx backtest` does it). Prints one JSON line: events, rates (wall clock; and per CPU
 * second, `cpu_events_per_s`, which a busy machine disturbs far less), trades and the process's peak RSS. A process of its own, so the peak RSS is this run's alone and two trees never share a JIT.
 * The features are computed in a feature thread (`featureThread`; a release without the option ignores it)
 * as `coinrx backtest` decides it (useFeatureThread): from the files only with a core for each of the three
 * threads (3 or more), in memory (no reader thread) with 2 or more. BENCH_FEATURE_THREAD=1 always, =0 never.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [tree, mode, dataDir, profileFile, runsText, code] = process.argv.slice(2);
const runs = Number(runsText);
/** @param {string} module a path under the tree's src/, without extension */
const load = async (module) => import(pathToFileURL(join(tree, code === 'build' ? `dist/src/${module}.js` : `src/${module}.ts`)).href);
/** @type {typeof import('../src/config.js')} */
const { parseConfig } = await load('config');
/** @type {typeof import('../src/engine/backtest.js')} */
const { runBacktest } = await load('engine/backtest');
/** @type {typeof import('../src/market-data/index.js')} */
const { batched, openReplay, readAll } = await load('market-data/index');

/** @type {Record<string, unknown>} */
const profile = JSON.parse(readFileSync(profileFile, 'utf8'));
/**
 * An earlier release refuses the profile's fields it does not know yet (`allocation.drawdownScaling` before
 * the eighth session): they are left out for it, and named on the JSON line (`dropped_fields`), since that
 * release then trades another profile.
 */
/** @type {string[]} */
const dropped = [];
/** @param {Record<string, unknown>} raw */
function parseProfile(raw) {
  for (;;) {
    try {
      return parseConfig({ ...raw, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9, onStop: 'keep' } });
    } catch (error) {
      const issues = error?.issues;
      const unknown = Array.isArray(issues) ? issues.map(String).find((i) => i.endsWith(': unknown field')) : undefined;
      if (unknown === undefined || tree === join(import.meta.dirname, '..')) throw error;
      const path = unknown.slice(0, -': unknown field'.length).split('.');
      let at = raw;
      for (const key of path.slice(0, -1)) at = at?.[key];
      if (at === undefined || !(path.at(-1) in at)) throw error;
      delete at[path.at(-1)];
      dropped.push(path.join('.'));
    }
  }
}
const config = parseProfile(profile);

const forced = process.env['BENCH_FEATURE_THREAD'];
const featureThread = forced === '0' || forced === '1' ? forced === '1' : availableParallelism() >= (mode === 'memory' ? 2 : 3);
let events = [];
if (mode === 'memory') events = (await readAll([dataDir])).events;
const rates = [];
const cpuRates = [];
let count = 0;
let trades = 0;
for (let i = 0; i < runs; i++) {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const result = await runBacktest(mode === 'memory' ? batched(events, 8192) : openReplay([dataDir]).batches(), config, { quote: 'USDT', featureThread });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  rates.push(Math.round(result.events / seconds));
  cpuRates.push(Math.round(result.events / ((used.user + used.system) / 1e6)));
  count = result.events;
  trades = result.tracker.trades.length;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(runs / 2)];
process.stdout.write(`${JSON.stringify({ events: count, events_per_s: median(rates), cpu_events_per_s: median(cpuRates), runs: rates, trades, code, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), ...(dropped.length > 0 ? { dropped_fields: dropped } : {}) })}\n`);
