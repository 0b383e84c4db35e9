import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../src/cli/main.js';
import { saveAgent } from '../../../src/ml/rl/agent-model.js';
import { setActive } from '../../../src/ml/registry.js';
import { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../../src/config.js';
import type { Decision, Fill, MarketEvent } from '../../../src/core/index.js';
import { configuredStrategy, createBacktest } from '../../../src/engine/backtest.js';
import { readAll } from '../../../src/market-data/index.js';
import { ACTION_COUNT, BUY, CANCEL_BUY, CANCEL_SELL, HOLD, SELL } from '../../../src/ml/rl/actions.js';
import { spanEpisode } from '../../../src/ml/rl/episode.js';
import { buildTape, type MarketTape } from '../../../src/ml/rl/market-tape.js';
import { FEATURE_COUNT } from '../../../src/ml/feature-vector.js';
import { OBSERVATION_SIZE } from '../../../src/ml/rl/observation.js';
import { initWeights, qSpec, QForward, type QWeights } from '../../../src/ml/rl/q-network.js';
import { strategyAgent } from '../../../src/ml/rl/strategy-agent.js';
import { parseRlConfig } from '../../../src/ml/rl/rl-config.js';
import { strategyWeights } from '../../../src/ml/rl/rule-network.js';
import { playEpisode } from '../../../src/ml/rl/self-play.js';
import { TradingEnv } from '../../../src/ml/rl/trading-env.js';
import { Random } from '../../../src/core/random.js';
import type { Strategy } from '../../../strategies/index.js';
import { sharedData, skipWithoutSharedData } from '../../helpers/shared-data.js';
import { CANDLES, tapeNormalizer } from './fixtures.js';

const DAY = 288;

/** The README's candle profile (edge gate, regime filter, Kelly stake, trailing stop), as `coinrx backtest` reads it. */
function profile(): Config {
  return parseConfig(JSON.parse(readFileSync(new URL('../../../config/backtest-candles.json', import.meta.url), 'utf8')) as unknown);
}

/** The first `days` days of the 30-coin candles. */
async function firstDays(days: number): Promise<MarketEvent[]> {
  const { events } = await readAll([CANDLES]);
  const t0 = (events[0] as MarketEvent).ts;
  return events.filter((e) => e.ts < t0 + days * 86_400_000);
}

/** A strategy whose decisions before `fromTs` are dropped (the engine warms it up on the data before), as `agent evaluate` runs the rule strategy. */
function fromTime(inner: Strategy, fromTs: number): Strategy {
  return (source) => new Observable<Decision>((subscriber) => inner(source).subscribe({ next: (d) => void (d.ts >= fromTs && subscriber.next(d)), error: (e: unknown) => subscriber.error(e), complete: () => subscriber.complete() }));
}

const fillKey = (f: Fill): string => `${f.ts} ${f.market} ${f.side} ${f.price} ${f.amount.toFixed(10)} ${f.fee.toFixed(10)}`;

function engineRuleStrategy(events: readonly MarketEvent[], tape: MarketTape, config: Config, from: number, to: number) {
  const fills: Fill[] = [];
  const run = createBacktest(config, 'USDT', (events[0] as MarketEvent).ts, fromTime(configuredStrategy(config, config.simulator.feeRate), tape.ts[from] as number));
  run.engine.listen({ onOrderEvent: (e) => void (e.type === 'order.fill' && fills.push(e.fill)) });
  const stop = tape.emitIndex[to - 1] as number;
  for (let i = 0; i < stop; i++) run.feed(events[i] as MarketEvent);
  run.engine.finish();
  return { fills, results: run.engine.results, equity: run.engine.equity().equity };
}

/** Runs the CLI in process: its status and what it wrote. */
async function coinrx(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(args, { stdout, stderr, interactive: false, env: {}, signal: new AbortController().signal });
  return { code, out, err };
}

/** Plays the span with every market and a per-step choice; returns the env and, per step, which markets were offered a BUY. */
function play(env: TradingEnv, tape: MarketTape, from: number, to: number, choose: (k: number, market: string, offered: boolean, holding: boolean) => number): { offers: Set<string> } {
  const episode = spanEpisode(tape, from, to);
  env.reset(episode);
  const offers = new Set<string>();
  const actions = new Int32Array(env.k);
  for (let done = false; !done; ) {
    const ts = tape.ts[env.batch] as number;
    for (let k = 0; k < env.k; k++) {
      const market = tape.markets[episode.markets[k] as number] as string;
      const offered = env.mask[k * ACTION_COUNT + BUY] === 1;
      if (offered) offers.add(`${ts} ${market}`);
      actions[k] = choose(k, market, offered, env.mask[k * ACTION_COUNT + SELL] === 1);
    }
    done = env.step(actions);
  }
  return { offers };
}

describe.skipIf(skipWithoutSharedData())('actions.source strategy: the rule strategy\'s entries as the agent\'s candidates', () => {
  const rl = parseRlConfig({ actions: { source: 'strategy' } });
  /** An environment offering the rule strategy's entries on the tape, fed from the data's start. */
  const strategyEnv = (tape: MarketTape, config: Config, normalizer = tapeNormalizer(tape), record = true): TradingEnv =>
    new TradingEnv({ tape, config, reward: rl.reward, normalizer, actions: rl.actions, record, warmFromStart: true });

  it('generation 0 (every entry taken) trades as the engine\'s rule strategy on the 30-coin candles: same fills, round trips and equity', async () => {
    const config = profile();
    const events = await firstDays(6);
    const tape = buildTape(events, config, { keepSnapshots: true });
    const from = DAY;
    const to = tape.batches;
    const env = strategyEnv(tape, config);
    // The generation-0 network of the loop, acting greedily.
    playEpisode(env, spanEpisode(tape, from, to), { forward: new QForward(strategyWeights(qSpec(OBSERVATION_SIZE, rl.agent.hidden, rl.agent.dueling), 7)), epsilon: 0, random: new Random(1) });
    const engine = engineRuleStrategy(events, tape, config, from, to);
    const buys = engine.fills.filter((f) => f.side === 'buy');
    // The gate opens in these days: the rule strategy enters several coins (a spec of nothing proves nothing).
    expect(new Set(buys.map((f) => f.market)).size).toBeGreaterThan(3);
    expect(engine.results.length).toBeGreaterThan(5);
    expect(env.record!.fills.map(fillKey)).toEqual(engine.fills.map(fillKey));
    expect(env.results.map((r) => [r.market, r.amount, r.pnl.toFixed(8)])).toEqual(engine.results.map((r) => [r.market, r.amount, r.pnl.toFixed(8)]));
    expect(env.equity()).toBeCloseTo(engine.equity, 6);
  }, 120_000);

  it('generation 0 sizes as the engine with allocation.mode volatility: a batch\'s entries split by each coin\'s inverse volatility, not a float32 copy of it', async () => {
    // No gate (no Kelly stake): the engine splits a batch's entries by 1 / volatility of their last snapshots.
    const raw = JSON.parse(readFileSync(new URL('../../../config/backtest-candles.json', import.meta.url), 'utf8')) as { strategy: Record<string, unknown>; allocation: Record<string, unknown> };
    raw.strategy.gate = { edge: false, regimeMin: -1, riskPerTrade: 0, riskOn: 0 };
    raw.allocation = { mode: 'volatility', maxPositions: 5, maxPerCoin: 0.5, cashReserve: 0.05 };
    const config = parseConfig(raw);
    const events = await firstDays(3);
    const tape = buildTape(events, config, { keepSnapshots: true });
    const env = strategyEnv(tape, config);
    playEpisode(env, spanEpisode(tape, DAY, tape.batches), { forward: new QForward(strategyWeights(qSpec(OBSERVATION_SIZE, rl.agent.hidden, rl.agent.dueling), 7)), epsilon: 0, random: new Random(1) });
    const engine = engineRuleStrategy(events, tape, config, DAY, tape.batches);
    // Several entries sized together in one batch, so the split (and not only the cap) sets the amounts.
    const buysAt = new Map<number, number>();
    for (const f of engine.fills) if (f.side === 'buy') buysAt.set(f.ts, (buysAt.get(f.ts) ?? 0) + 1);
    expect([...buysAt.values()].some((n) => n > 1)).toBe(true);
    expect(env.record!.fills.map(fillKey)).toEqual(engine.fills.map(fillKey));
    expect(env.equity()).toBeCloseTo(engine.equity, 6);
  }, 120_000);

  it('the agent as the engine\'s strategy (strategy-agent.ts) makes the environment\'s trades: a network that skips entries, sells and cancels on its own', async () => {
    const config = profile();
    const events = await firstDays(6);
    const tape = buildTape(events, config, { keepSnapshots: true });
    const from = DAY;
    const to = tape.batches;
    const normalizer = tapeNormalizer(tape);
    const spec = qSpec(OBSERVATION_SIZE, rl.agent.hidden, rl.agent.dueling);
    for (const [seed, weights] of [
      [1, initWeights(spec, 11)],
      [2, strategyWeights(spec, 3)],
    ] as [number, QWeights][]) {
      const env = strategyEnv(tape, config, normalizer);
      playEpisode(env, spanEpisode(tape, from, to), { forward: new QForward(weights), epsilon: 0, random: new Random(seed) });
      const fills: Fill[] = [];
      const run = createBacktest(config, 'USDT', (events[0] as MarketEvent).ts, strategyAgent({ weights, normalizer, config, feeRate: config.simulator.feeRate, tradeFrom: tape.ts[from] as number }));
      run.engine.listen({ onOrderEvent: (e) => void (e.type === 'order.fill' && fills.push(e.fill)) });
      const stop = tape.emitIndex[to - 1] as number;
      for (let i = 0; i < stop; i++) run.feed(events[i] as MarketEvent);
      run.engine.finish();
      const acts = new Set(env.record!.decisions.map((d) => d.action));
      if (seed === 1) {
        // The untrained network does more than take entries: it skips some, and sells or cancels on its own.
        expect(acts.has(SELL) || acts.has(CANCEL_BUY) || acts.has(CANCEL_SELL)).toBe(true);
        expect(env.results.length).toBeGreaterThan(0);
      }
      expect(fills.map(fillKey)).toEqual(env.record!.fills.map(fillKey));
      expect(run.engine.results.map((r) => [r.market, r.amount, r.pnl.toFixed(8), r.reason])).toEqual(env.results.map((r) => [r.market, r.amount, r.pnl.toFixed(8), r.reason]));
      expect(run.engine.equity().equity).toBeCloseTo(env.equity(), 6);
    }
  }, 120_000);

  it('coinrx agent --help names the option and what generation 0 is with it', async () => {
    const { code, out } = await coinrx(['agent', '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/--rl <path=value>.*actions\.source=strategy \(BUY only among the entries the configured rule strategy emits/);
    expect(out).toMatch(/generation 0 it starts from \(the edge rule; the rule strategy itself with --rl actions\.source=strategy\)/);
  });

  it('coinrx agent train refuses a ranking.model with actions.source=strategy, before loading it or the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-strategy-model-'));
    try {
      const { code, err } = await coinrx(['agent', 'train', '--data', sharedData('candles/binance-spot-2021-5m', 'BTC_USDT-5m.csv.gz'), '--rl', 'actions.source=strategy', '--set', `ranking.model=${join(dir, 'no-such-model')}`, '--out', join(dir, 'out')]);
      expect(code).toBe(2);
      // The profile in force, then one error line.
      expect(err.trim().split('\n').filter((l) => !l.startsWith('agent: engine profile '))).toHaveLength(1);
      expect(err).toMatch(/--rl actions\.source=strategy .*a ranking\.model in the profile is not supported with it/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('coinrx agent evaluate with a strategy-source agent: generation 0 is checked against the engine\'s rule strategy and the agent is run through the engine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-strategy-eval-'));
    try {
      const weights = initWeights(qSpec(OBSERVATION_SIZE, [8], true), 5);
      const normalizer = { mean: new Array(FEATURE_COUNT).fill(0), std: new Array(FEATURE_COUNT).fill(1), clip: 5 };
      const trainedOn = { from: Date.UTC(2021, 0, 20), to: Date.UTC(2021, 1, 1) };
      await saveAgent(join(dir, 'models', 'v1'), weights, { version: 'v1', kind: 'rl-dqn', generation: 1, spec: weights.spec, featureNames: [], positionFeatureNames: [], normalizer, trainedOn, data: [], rlConfig: { actions: { source: 'strategy' } }, engineConfig: {} });
      await setActive(join(dir, 'models'), 'v1');
      const files = ['BTC', 'ETH', 'ADA', 'DOGE', 'LINK', 'XRP', 'SOL', 'DOT'].map((c) => sharedData('candles/binance-spot-2021-5m', `${c}_USDT-5m.csv.gz`));
      const { code, out, err } = await coinrx(['agent', 'evaluate', '--data', ...files, '--model', dir, '--config', 'config/backtest-candles.json', '--to', '2021-01-06', '--out', join(dir, 'eval')]);
      expect(code, err).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, 'eval', 'evaluation.json'), 'utf8')) as { rows: { policy: string; trades: number }[]; engineCheck: { matchesEnvironment: boolean }; strategyCheck: { matches: boolean; engineTrades: number } };
      expect(report.rows.map((r) => r.policy)).toContain('rule strategy (generation 0, environment)');
      expect(report.strategyCheck.matches).toBe(true);
      expect(report.strategyCheck.engineTrades).toBeGreaterThan(0);
      expect(report.engineCheck.matchesEnvironment).toBe(true);
      expect(out).toMatch(/generation 0 \(every entry of the rule strategy taken\) in the environment: .* \(same\)/);
      expect(out).toMatch(/agent through the engine: .*same as the environment/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('an agent can skip entries: skipping all stays in cash; skipping one coin never holds it, and every entry taken was a candidate of its batch', async () => {
    const config = profile();
    const events = await firstDays(6);
    const tape = buildTape(events, config, { keepSnapshots: true });
    const env = strategyEnv(tape, config);
    const from = DAY;
    const to = tape.batches;
    // Every entry taken first, to find the coin the rule strategy trades most.
    play(env, tape, from, to, (_k, _m, offered) => (offered ? BUY : HOLD));
    const counts = new Map<string, number>();
    for (const r of env.results) counts.set(r.market, (counts.get(r.market) ?? 0) + 1);
    const [skipped] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] as [string, number];
    const all = env.results.length;

    play(env, tape, from, to, () => HOLD);
    expect(env.results.length).toBe(0);
    expect(env.record!.fills.length).toBe(0);
    expect(env.equity()).toBe(config.simulator.initialBalance);

    const { offers } = play(env, tape, from, to, (_k, market, offered) => (offered && market !== skipped ? BUY : HOLD));
    const buys = env.record!.fills.filter((f) => f.side === 'buy');
    expect(buys.some((f) => f.market === skipped)).toBe(false);
    expect(env.results.length).toBeGreaterThan(0);
    // The coin skipped is offered again later (the strategy re-offers what the bot does not hold).
    expect([...offers].filter((o) => o.endsWith(` ${skipped}`)).length).toBeGreaterThan(1);
    // Every position opened at a batch where the strategy offered its coin.
    for (const d of env.record!.decisions.filter((x) => x.action === BUY)) expect(offers.has(`${d.ts} ${d.market}`)).toBe(true);
    expect(all).toBeGreaterThan(0);
  }, 120_000);

  it('an agent can exit early: selling every holding at once closes round trips with its own reason, held shorter than the strategy holds them', async () => {
    const config = profile();
    const events = await firstDays(6);
    const tape = buildTape(events, config, { keepSnapshots: true });
    const env = strategyEnv(tape, config);
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    play(env, tape, DAY, tape.batches, (_k, _m, offered) => (offered ? BUY : HOLD));
    const strategyHeld = median(env.results.map((r) => r.closedTs - r.openedTs));
    expect(env.results.some((r) => r.reason === 'agent')).toBe(false);
    play(env, tape, DAY, tape.batches, (_k, _m, offered, holding) => (offered ? BUY : holding ? SELL : HOLD));
    const early = env.results.filter((r) => r.reason === 'agent');
    expect(early.length).toBeGreaterThan(0);
    expect(median(early.map((r) => r.closedTs - r.openedTs))).toBeLessThan(strategyHeld);
  }, 120_000);

  it('observes what the gate knows: its estimate (2p − 1, expected net return in percent) in the signal inputs', async () => {
    const config = profile();
    const events = await firstDays(4);
    const tape = buildTape(events, config, { keepSnapshots: true });
    const env = strategyEnv(tape, config, tapeNormalizer(tape), false);
    const seen = new Set<string>();
    play(env, tape, DAY, tape.batches, (k) => {
      const p = env.obs[k * OBSERVATION_SIZE + FEATURE_COUNT] as number;
      const ev = env.obs[k * OBSERVATION_SIZE + FEATURE_COUNT + 1] as number;
      expect(p).toBeGreaterThanOrEqual(-1);
      expect(p).toBeLessThanOrEqual(1);
      expect(Math.abs(ev)).toBeLessThanOrEqual(5);
      seen.add(`${p.toFixed(4)} ${ev.toFixed(4)}`);
      return HOLD;
    });
    // The estimate moves as the gate's paper trades close.
    expect(seen.size).toBeGreaterThan(3);
  }, 120_000);
});
