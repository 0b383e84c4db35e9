import { Observable } from 'rxjs';
import type { Config } from '../../config.js';
import type { Decision, MarketEvent } from '../../core/index.js';
import { Random } from '../../core/random.js';
import { dailyReturns, pairedBlockBootstrap, spanDays, type PairedInterval } from '../bootstrap.js';
import { configuredStrategy, createBacktest } from '../../engine/index.js';
import type { Strategy } from '../../../strategies/index.js';
import { rlAgent } from '../../../strategies/rl-agent.js';
import { agentPolicy } from './agent-policy.js';
import { agentActions, type LoadedAgent } from './agent-model.js';
import { spanEpisode } from './episode.js';
import type { MarketTape } from './market-tape.js';
import { applySignal, describeSignal, signalHasState, signalScore as ruleOrModelScore, type SignalScore } from './market-signal.js';
import { meanMetrics, policyMetrics, type PolicyMetrics } from './policy-metrics.js';
import { QForward } from './q-network.js';
import { exitRuleOf, ruleWeights, strategyWeights } from './rule-network.js';
import type { RlConfig } from './rl-config.js';
import { playEpisode } from './self-play.js';
import { strategyAgent } from './strategy-agent.js';
import { TradingEnv } from './trading-env.js';

/** "The agent beats X": paired daily returns, moving-block bootstrap interval of the mean difference. */
export interface PolicyComparison {
  readonly against: string;
  readonly agentMeanDaily: number;
  readonly againstMeanDaily: number;
  readonly interval: PairedInterval;
}

export interface EvaluationReport {
  readonly span: { readonly from: number; readonly to: number; readonly batches: number; readonly markets: number };
  readonly rows: readonly PolicyMetrics[];
  /** Daily returns of every row's policy over the span's UTC days (the random policy: mean over its seeds). */
  readonly dailyReturns: Readonly<Record<string, readonly number[]>>;
  readonly comparisons: readonly PolicyComparison[];
  /** One plain sentence on what the intervals say (cash and the rule strategy), and whether the agent stayed in cash. */
  readonly conclusion: string;
  /** The agent run again through the whole engine (strategies/rl-agent.ts; strategy-agent.ts for the `strategy` source): must match the environment's figures. */
  readonly engineCheck: { readonly finalEquity: number; readonly trades: number; readonly fees: number; readonly matchesEnvironment: boolean };
  /** `strategy` source: generation 0 (every entry taken) in the environment against the engine's rule strategy. */
  readonly strategyCheck?: { readonly environmentEquity: number; readonly environmentTrades: number; readonly engineEquity: number; readonly engineTrades: number; readonly matches: boolean };
  readonly inference: { readonly batches: number; readonly meanMsPerBatch: number; readonly meanUsPerDecision: number; readonly p99MsPerBatch: number };
}

export interface EvaluationOptions {
  readonly tape: MarketTape;
  readonly config: Config;
  readonly rl: RlConfig;
  readonly agent: LoadedAgent;
  /** Batch range [from, to) to evaluate on: every market, one continuous run. */
  readonly fromBatch: number;
  readonly toBatch: number;
  readonly randomSeeds?: number;
  /** The raw score of the agent's signal for the engine run (the tape must have been built with the same); default the rule's. */
  readonly signalScore?: SignalScore;
  /** Seed of the bootstrap intervals. */
  readonly seed?: number;
  readonly onLog?: (line: string) => void;
}

type Curve = readonly { ts: number; equity: number }[];

function envRun(env: TradingEnv, tape: MarketTape, from: number, to: number, name: string, forward: QForward | undefined, seed: number, note?: string): { metrics: PolicyMetrics; equity: Curve } {
  const episode = spanEpisode(tape, from, to);
  playEpisode(env, episode, { ...(forward ? { forward } : {}), epsilon: 0, random: new Random(seed) });
  const rec = env.record!;
  const equity = rec.equity.slice();
  return { metrics: policyMetrics(name, env.config.simulator.initialBalance, equity, env.results.map((r) => r.pnl), env.fees(), note), equity };
}

/** Equal weights in every market of the pool at the first batch's price, held to the end; fees on the way in and out. */
function buyAndHold(tape: MarketTape, from: number, to: number, initial: number, fee: number): { metrics: PolicyMetrics; equity: Curve } {
  const M = tape.markets.length;
  const units = new Float64Array(M);
  const last = new Float64Array(M);
  let n = 0;
  for (let m = 0; m < M; m++) if (tape.present[from * M + m] === 1) n++;
  for (let m = 0; m < M; m++) {
    const p = tape.price[from * M + m] as number;
    if (tape.present[from * M + m] === 1 && p > 0) {
      units[m] = ((initial / n) * (1 - fee)) / p;
      last[m] = p;
    }
  }
  const equity: { ts: number; equity: number }[] = [];
  let value = 0;
  for (let b = from; b < to; b++) {
    value = 0;
    for (let m = 0; m < M; m++) {
      if (tape.present[b * M + m] === 1) last[m] = tape.price[b * M + m] as number;
      value += (units[m] as number) * (last[m] as number);
    }
    equity.push({ ts: tape.ts[b] as number, equity: b === to - 1 ? value * (1 - fee) : value });
  }
  const fees = initial * fee + value * fee;
  const pnls: number[] = [];
  for (let m = 0; m < M; m++) if ((units[m] as number) > 0) pnls.push((units[m] as number) * (last[m] as number) * (1 - fee) - initial / n);
  return { metrics: policyMetrics('buy-and-hold (pool, equal weight)', initial, equity, pnls, fees, `${n} markets bought at the first batch's price, sold at the last; fee ${fee} each way`), equity };
}

/** A strategy that trades only from `fromTs` on (the features warm up before). */
function fromTime(inner: Strategy, fromTs: number): Strategy {
  return (source) =>
    new Observable<Decision>((subscriber) =>
      inner(source).subscribe({
        next: (d) => {
          if (d.ts >= fromTs) subscriber.next(d);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    );
}

function engineRun(tape: MarketTape, config: Config, quote: string, strategy: Strategy, from: number, to: number): { equity: { ts: number; equity: number }[]; pnls: number[]; fees: number } {
  const events = tape.events;
  const run = createBacktest(config, quote, (events[0] as MarketEvent).ts, strategy);
  const fromTs = tape.ts[from] as number;
  const equity: { ts: number; equity: number }[] = [];
  run.engine.listen({ onEquity: (ts, e) => void (ts >= fromTs && equity.push({ ts, equity: e })) });
  const stop = tape.emitIndex[to - 1] as number;
  for (let i = 0; i < stop; i++) run.feed(events[i] as MarketEvent);
  run.engine.finish();
  return { equity, pnls: run.engine.results.map((r) => r.pnl), fees: run.exchange.feesPaid()[quote] ?? 0 };
}

/**
 * Evaluates an agent on a span it never saw in training or promotion, against cash, buy-and-hold of the
 * pool, the rule-based ranker strategy (strategies/triple-barrier.ts through the engine) and a random
 * policy (uniform over the valid actions), all with the same fees, fill model and sizing. The agent and
 * the random policy run in the environment; the agent is also run through the whole engine as a
 * strategy to show the live path gives the same result, timing each decision.
 */
export async function evaluateAgent(options: EvaluationOptions): Promise<EvaluationReport> {
  const { tape, config, rl, agent, fromBatch, toBatch } = options;
  const log = options.onLog ?? (() => {});
  const spec = agent.meta.signal;
  if (spec) {
    applySignal(tape, spec);
    log(describeSignal(spec));
  }
  const signal = spec ? { spec, score: options.signalScore ?? (await ruleOrModelScore(spec)) } : undefined;
  const initial = config.simulator.initialBalance;
  const actions = agentActions(agent.meta);
  const fromStrategy = actions.source === 'strategy';
  // The strategy source feeds the rule strategy from the data's start, as the engine's backtest below does.
  const env = new TradingEnv({ tape, config, reward: rl.reward, normalizer: agent.meta.normalizer, actions, record: true, warmFromStart: true });
  const forward = new QForward(agent.weights);
  const rows: PolicyMetrics[] = [];
  const fromTs = tape.ts[fromBatch] as number;
  const toTs = (tape.ts[toBatch - 1] as number) + 1;
  const days = spanDays(fromTs, toTs);
  const daily: Record<string, number[]> = {};
  const add = (m: PolicyMetrics, equity: Curve): void => {
    rows.push(m);
    daily[m.policy] = dailyReturns(equity, initial, days);
  };
  log('evaluating the agent in the environment');
  const agentRun = envRun(env, tape, fromBatch, toBatch, `agent ${agent.meta.version}`, forward, 0);
  const agentRow = agentRun.metrics;
  add(agentRow, agentRun.equity);
  add(policyMetrics('cash', initial, [{ ts: fromTs, equity: initial }, { ts: toTs - 1, equity: initial }], [], 0), []);
  const hold = buyAndHold(tape, fromBatch, toBatch, initial, env.feeRate);
  add(hold.metrics, hold.equity);
  log('running the rule-based ranker strategy through the engine');
  const rule = engineRun(tape, config, env.quote, fromTime(configuredStrategy(config, env.feeRate), fromTs), fromBatch, toBatch);
  add(policyMetrics('rule-based ranker (triple barrier)', initial, rule.equity, rule.pnls, rule.fees, 'the engine with the configured strategy'), rule.equity);
  let strategyCheck: EvaluationReport['strategyCheck'];
  if (fromStrategy) {
    log('running the rule strategy as generation 0 (every entry taken) in the environment');
    const take = envRun(env, tape, fromBatch, toBatch, STRATEGY_GEN0, new QForward(strategyWeights(agent.weights.spec, 0)), 0, 'the loop\'s generation 0: every entry of the configured strategy taken, its exits');
    add(take.metrics, take.equity);
    strategyCheck = { environmentEquity: take.metrics.finalEquity, environmentTrades: take.metrics.trades, engineEquity: rule.equity.at(-1)?.equity ?? initial, engineTrades: rule.pnls.length, matches: Math.abs(take.metrics.finalEquity - (rule.equity.at(-1)?.equity ?? initial)) < 1e-6 * initial && take.metrics.trades === rule.pnls.length };
  } else if (spec && actions.candidates) {
    // The loop's generation 0 (rule-network.ts): what training started from, in the same environment.
    log('running the edge rule (generation 0) in the environment');
    const ruleNet = new QForward(ruleWeights(agent.weights.spec, exitRuleOf(spec), 0));
    const edge = envRun(env, tape, fromBatch, toBatch, EDGE_RULE, ruleNet, 0, 'the loop\'s generation 0: buy the candidates, sell at the signal\'s barriers or horizon');
    add(edge.metrics, edge.equity);
  }
  const seeds = options.randomSeeds ?? 3;
  log(`random policy, ${seeds} seeds`);
  const randomRuns: PolicyMetrics[] = [];
  const randomDaily: number[][] = [];
  for (let s = 1; s <= seeds; s++) {
    const run = envRun(env, tape, fromBatch, toBatch, 'random', undefined, s);
    randomRuns.push(run.metrics);
    randomDaily.push(dailyReturns(run.equity, initial, days));
  }
  const randomRow = meanMetrics('random policy (uniform valid actions)', randomRuns, `mean of ${seeds} seeds`);
  rows.push(randomRow);
  daily[randomRow.policy] = days.map((_, i) => randomDaily.reduce((a, r) => a + (r[i] as number), 0) / seeds);
  const mean = (v: readonly number[]): number => v.reduce((a, x) => a + x, 0) / Math.max(1, v.length);
  const agentDaily = daily[agentRow.policy] as number[];
  const comparisons = rows.slice(1).map((r): PolicyComparison => {
    const other = daily[r.policy] as number[];
    return { against: r.policy, agentMeanDaily: mean(agentDaily), againstMeanDaily: mean(other), interval: pairedBlockBootstrap(agentDaily, other, { seed: options.seed ?? 1 }) };
  });
  const conclusion = agentConclusion(agentRow, comparisons);
  log(`running the agent through the engine (${fromStrategy ? 'src/ml/rl/strategy-agent.ts' : 'strategies/rl-agent.ts'})`);
  const timings: number[] = [];
  let decisions = 0;
  const onTiming = (ms: number, n: number): void => {
    timings.push(ms);
    decisions += n;
  };
  const policy = agentPolicy({ weights: agent.weights, normalizer: agent.meta.normalizer, feeRate: env.feeRate, maxPositions: config.allocation.maxPositions, actions, ...(signal ? { signal } : {}), onTiming });
  // A signal with state (a GRU ranker's history) also reads the batches before the span, as the tape's did.
  const warm = spec && signal && signalHasState(spec) ? signal.score : undefined;
  // The strategy source: the rule strategy inside the agent, fed from the data's start (strategy-agent.ts).
  const agentInEngine = fromStrategy
    ? strategyAgent({ weights: agent.weights, normalizer: agent.meta.normalizer, config, feeRate: env.feeRate, tradeFrom: fromTs, onTiming })
    : rlAgent((ts, snaps, positions) => {
        if (ts >= fromTs) return policy(ts, snaps, positions);
        if (warm && snaps.length > 0) warm(snaps);
        return [];
      });
  const live = engineRun(tape, config, env.quote, agentInEngine, fromBatch, toBatch);
  const liveFinal = live.equity.at(-1)?.equity ?? initial;
  timings.sort((a, b) => a - b);
  const total = timings.reduce((a, b) => a + b, 0);
  return {
    span: { from: fromTs, to: toTs, batches: toBatch - fromBatch, markets: tape.markets.length },
    rows,
    dailyReturns: daily,
    comparisons,
    conclusion,
    ...(strategyCheck ? { strategyCheck } : {}),
    engineCheck: { finalEquity: liveFinal, trades: live.pnls.length, fees: live.fees, matchesEnvironment: Math.abs(liveFinal - agentRow.finalEquity) < 1e-6 * initial && live.pnls.length === agentRow.trades },
    inference: { batches: timings.length, meanMsPerBatch: total / Math.max(1, timings.length), meanUsPerDecision: (total * 1000) / Math.max(1, decisions), p99MsPerBatch: timings[Math.floor(timings.length * 0.99)] ?? 0 },
  };
}

/** The row of the `strategy` source's generation 0: the configured strategy in the environment, every entry taken. */
export const STRATEGY_GEN0 = 'rule strategy (generation 0, environment)';

/** The row of the loop's generation 0, the edge rule as a network (rule-network.ts). */
export const EDGE_RULE = 'edge rule (generation 0, environment)';

/**
 * What the intervals say, in one sentence. An agent that made no trade stayed in cash: where nothing pays
 * after costs that is the correct result, and it is said so rather than reported as a failure to beat cash.
 */
export function agentConclusion(agent: PolicyMetrics, comparisons: readonly PolicyComparison[]): string {
  const verdict = (name: string, what: string): string => {
    const v = comparisons.find((c) => c.against === name)?.interval.verdict;
    return v === 'beats' ? `beats ${what}` : v === 'loses' ? `loses to ${what}` : `is not shown to beat ${what}`;
  };
  const rule = verdict('rule-based ranker (triple barrier)', 'the rule strategy');
  if (agent.trades === 0) return `the agent stayed in cash over the whole span (0 trades): where no trade pays after costs that is a correct result; it matches cash and ${rule}`;
  return `the agent ${verdict('cash', 'cash')} and ${rule} (95 % intervals of the paired daily differences)`;
}
