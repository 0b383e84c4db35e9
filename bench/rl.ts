/**
 * `npm run bench -- rl`: the RL agent's figures on the 30-coin 5m candles of ../shared/data —
 * environment steps per second (one step = one market's decision at one batch, random valid actions, the
 * real SimulatedExchange and the real position and bot machines behind it; the tape is built once
 * beforehand), DQN training samples per second (tfjs, this thread's backend), and inference latency of
 * the promoted-model path: the agent policy (features → observation → Q network → decisions) per batch of
 * all markets, inside an engine run.
 *
 * The environment's steps run in child processes (bench/_rl-env-steps.ts), three of this tree; with
 * BENCH_PREVIOUS=<dir> (a checkout of an earlier release with its node_modules) three of that tree too,
 * alternating with this one so that both see the same neighbours; each figure is the best of its three
 * (`env_runs` lists them), and `previous` holds the earlier release's with the speed-up.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { parseConfig } from '../src/config.js';
import type { MarketEvent } from '../src/core/index.js';
import { Random } from '../src/core/random.js';
import { createBacktest } from '../src/engine/backtest.js';
import { readAll } from '../src/market-data/index.js';
import { FEATURE_COUNT } from '../src/ml/feature-vector.js';
import { fitNormalizer } from '../src/ml/normalizer.js';
import { agentPolicy } from '../src/ml/rl/agent-policy.js';
import { ACTION_COUNT } from '../src/ml/rl/actions.js';
import { runDqnJob } from '../src/ml/rl/dqn-train.js';
import { sampleEpisodes } from '../src/ml/rl/episode.js';
import { buildTape } from '../src/ml/rl/market-tape.js';
import { OBSERVATION_SIZE } from '../src/ml/rl/observation.js';
import { initWeights, QForward, qSpec } from '../src/ml/rl/q-network.js';
import { MemoryWriter } from '../src/ml/rl/replay-memory.js';
import { parseRlConfig } from '../src/ml/rl/rl-config.js';
import { playEpisode } from '../src/ml/rl/self-play.js';
import { TradingEnv } from '../src/ml/rl/trading-env.js';
import { rlAgent } from '../strategies/rl-agent.js';

const here = dirname(fileURLToPath(import.meta.url));

interface EnvFigures {
  readonly steps: number;
  readonly steps_per_s: number;
  readonly steps_per_cpu_s: number;
  readonly trades: number;
}

function envChild(tree: string, candlesDir: string): EnvFigures {
  const args = ['--import', 'tsx', join(here, '_rl-env-steps.ts'), tree, candlesDir, join(here, '../config/backtest-candles.json')];
  const out = execFileSync(process.execPath, args, { cwd: tree, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as EnvFigures;
}

/** Three runs of each tree, alternating; per tree the best run (wall clock and CPU time each) and all three. */
function envFigures(trees: readonly string[], candlesDir: string): Record<string, unknown>[] {
  const runs: EnvFigures[][] = trees.map(() => []);
  for (let round = 0; round < 3; round++) trees.forEach((tree, i) => (runs[i] as EnvFigures[]).push(envChild(tree, candlesDir)));
  return runs.map((r) => {
    const first = r[0] as EnvFigures;
    if (r.some((x) => x.steps !== first.steps || x.trades !== first.trades)) throw new Error('bench rl: runs of one tree disagree on steps or trades');
    return {
      env_steps: first.steps,
      env_trades: first.trades,
      env_steps_per_s: Math.max(...r.map((x) => x.steps_per_s)),
      env_steps_per_cpu_s: Math.max(...r.map((x) => x.steps_per_cpu_s)),
      env_runs: r.map((x) => x.steps_per_s),
    };
  });
}

export async function run(): Promise<Record<string, unknown>> {
  const candlesDir = join(here, '../../shared/data/candles/binance-spot-2021-5m');
  const previousTree = process.env['BENCH_PREVIOUS'];
  if (previousTree !== undefined && !existsSync(join(previousTree, 'src/ml/rl/trading-env.ts'))) throw new Error(`BENCH_PREVIOUS=${previousTree}: no src/ml/rl/trading-env.ts there`);
  const [current, previous] = envFigures(previousTree === undefined ? [join(here, '..')] : [join(here, '..'), previousTree], candlesDir) as [Record<string, unknown>, Record<string, unknown> | undefined];

  const profile = JSON.parse(readFileSync(join(here, '../config/backtest-candles.json'), 'utf8')) as Record<string, unknown>;
  const config = parseConfig(profile);
  const rl = parseRlConfig({ episode: { batches: 288, markets: 0 } });
  const { events } = await readAll([candlesDir]);
  const t0 = performance.now();
  const tape = buildTape(events, config);
  const tapeSeconds = (performance.now() - t0) / 1000;
  const rows: number[] = [];
  for (let i = 0; i < tape.present.length; i++) if (tape.present[i] === 1) rows.push(i);
  const normalizer = fitNormalizer(tape.features, FEATURE_COUNT, rows);
  const env = new TradingEnv({ tape, config, reward: rl.reward, normalizer });

  const episodes = sampleEpisodes(tape, 0, tape.batches, 288, 0, 20, 1);
  const random = new Random(1);

  // Acting with the network (JS forward) while filling the self-play memory.
  const weights = initWeights(qSpec(OBSERVATION_SIZE, rl.agent.hidden, rl.agent.dueling), 1);
  const forward = new QForward(weights);
  const memory = new MemoryWriter();
  let actSteps = 0;
  const t2 = performance.now();
  for (const e of episodes.slice(0, 5)) actSteps += playEpisode(env, e, { forward, epsilon: 0.1, random, memory, keepIdle: rl.agent.keepIdle, gamma: rl.agent.gamma, nStep: rl.agent.nStep }).steps;
  const actSeconds = (performance.now() - t2) / 1000;
  const mem = memory.finish();

  // Training throughput (this thread; the loop runs the same job in a worker).
  const trainSteps = 300;
  const trained = await runDqnJob({ weights, memory: mem, steps: trainSteps, batchSize: rl.agent.batchSize, learningRate: rl.agent.learningRate, targetUpdate: rl.agent.targetUpdate, huberDelta: rl.agent.huberDelta, seed: 1 });

  // Inference inside the engine: the agent policy as a strategy over 3 days of all 30 markets.
  const timings: number[] = [];
  let decisions = 0;
  const policy = agentPolicy({ weights: trained.weights, normalizer, feeRate: config.simulator.feeRate, maxPositions: config.allocation.maxPositions, onTiming: (ms, n) => (timings.push(ms), (decisions += n)) });
  const runEvents = events.filter((e) => e.ts < (events[0] as MarketEvent).ts + 3 * 86_400_000);
  const bt = createBacktest(config, 'USDT', (runEvents[0] as MarketEvent).ts, rlAgent(policy));
  for (const e of runEvents) bt.feed(e);
  bt.engine.finish();
  timings.sort((a, b) => a - b);
  const total = timings.reduce((a, b) => a + b, 0);
  // The bare network: one forward pass for a batch of 30 observations.
  const x = new Float32Array(30 * OBSERVATION_SIZE).map(() => random.normal());
  const q = new Float32Array(30 * ACTION_COUNT);
  const reps = 20_000;
  const t3 = performance.now();
  const net = new QForward(trained.weights);
  for (let i = 0; i < reps; i++) net.run(x, 30, q);
  const forwardUs = ((performance.now() - t3) * 1000) / reps;

  return {
    tape_batches: tape.batches,
    tape_markets: tape.markets.length,
    tape_build_s: Number(tapeSeconds.toFixed(2)),
    ...current,
    ...(previous ? { previous, env_speedup: Number(((current['env_steps_per_s'] as number) / (previous['env_steps_per_s'] as number)).toFixed(2)), env_cpu_speedup: Number(((current['env_steps_per_cpu_s'] as number) / (previous['env_steps_per_cpu_s'] as number)).toFixed(2)) } : {}),
    act_steps_per_s_with_network: Math.round(actSteps / actSeconds),
    train_backend: trained.backend,
    train_samples_per_s: Math.round(trained.samplesPerSecond),
    train_batch: rl.agent.batchSize,
    inference_batches: timings.length,
    inference_ms_per_batch_mean: Number((total / Math.max(1, timings.length)).toFixed(4)),
    inference_ms_per_batch_p99: Number((timings[Math.floor(timings.length * 0.99)] ?? 0).toFixed(4)),
    inference_us_per_decision: Number(((total * 1000) / Math.max(1, decisions)).toFixed(2)),
    network_forward_us_per_30_markets: Number(forwardUs.toFixed(2)),
    rss_mb: Math.round(process.memoryUsage().rss / 1e6),
  };
}
