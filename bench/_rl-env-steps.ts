/**
 * One child of `npm run bench -- rl`: the RL environment of the tree `argv[2]` (this checkout, or a
 * previous release's) on the 30-coin 5m candles: the tape built once, then twenty one-day episodes of
 * random valid actions on all markets (epsilon 1, seed 1) played twice, the first pass warming the JIT up.
 * Prints one JSON line with the second pass: steps (one market's decision at one batch), steps per
 * second of wall clock and per CPU second (what a busy machine disturbs far less), and trades.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [tree, dataDir, profileFile] = process.argv.slice(2) as [string, string, string];
const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(tree, path)).href)) as T;
const { parseConfig } = await load<typeof import('../src/config.js')>('src/config.ts');
const { Random } = await load<typeof import('../src/core/random.js')>('src/core/random.ts');
const { readAll } = await load<typeof import('../src/market-data/index.js')>('src/market-data/index.ts');
const { FEATURE_COUNT } = await load<typeof import('../src/ml/feature-vector.js')>('src/ml/feature-vector.ts');
const { fitNormalizer } = await load<typeof import('../src/ml/normalizer.js')>('src/ml/normalizer.ts');
const { sampleEpisodes } = await load<typeof import('../src/ml/rl/episode.js')>('src/ml/rl/episode.ts');
const { buildTape } = await load<typeof import('../src/ml/rl/market-tape.js')>('src/ml/rl/market-tape.ts');
const { parseRlConfig } = await load<typeof import('../src/ml/rl/rl-config.js')>('src/ml/rl/rl-config.ts');
const { playEpisode } = await load<typeof import('../src/ml/rl/self-play.js')>('src/ml/rl/self-play.ts');
const { TradingEnv } = await load<typeof import('../src/ml/rl/trading-env.js')>('src/ml/rl/trading-env.ts');

const config = parseConfig(JSON.parse(readFileSync(profileFile, 'utf8')) as Record<string, unknown>);
const rl = parseRlConfig({ episode: { batches: 288, markets: 0 } });
const { events } = await readAll([dataDir]);
const tape = buildTape(events, config);
const rows: number[] = [];
for (let i = 0; i < tape.present.length; i++) if (tape.present[i] === 1) rows.push(i);
const env = new TradingEnv({ tape, config, reward: rl.reward, normalizer: fitNormalizer(tape.features, FEATURE_COUNT, rows) });
const episodes = sampleEpisodes(tape, 0, tape.batches, 288, 0, 20, 1);
let figures: Record<string, number> = {};
for (let pass = 0; pass < 2; pass++) {
  const random = new Random(1);
  let steps = 0;
  let trades = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const e of episodes) {
    const o = playEpisode(env, e, { epsilon: 1, random });
    steps += o.steps;
    trades += o.trades;
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  figures = { steps, steps_per_s: Math.round(steps / seconds), steps_per_cpu_s: Math.round(steps / ((used.user + used.system) / 1e6)), trades };
}
process.stdout.write(`${JSON.stringify(figures)}\n`);
