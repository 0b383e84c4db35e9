import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../config.js';
import { Random } from '../../core/random.js';
import { barrierSpec } from '../dataset.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../feature-vector.js';
import type { BarrierSpec } from '../labels.js';
import { parseRankerConfig } from '../ranker-config.js';
import { fitNormalizer, type Normalizer } from '../normalizer.js';
import { setActive } from '../registry.js';
import { saveAgent, loadAgent, type AgentMeta } from './agent-model.js';
import { trainInWorker } from './dqn-worker.js';
import type { DqnResult } from './dqn-train.js';
import { sampleEpisodes, tiledEpisodes, type Episode } from './episode.js';
import { writeLearningCurve, type GenerationRecord } from './learning-curve.js';
import type { MarketTape } from './market-tape.js';
import { applySignal, describeSignal, fitRuleSignal, type SignalSpec } from './market-signal.js';
import { OBSERVATION_SIZE, POSITION_FEATURE_NAMES } from './observation.js';
import { pairedSignFlipTest, type PairedTest } from './paired-test.js';
import { initWeights, qSpec, QForward, type QWeights } from './q-network.js';
import { MemoryWriter } from './replay-memory.js';
import type { RlConfig } from './rl-config.js';
import { cashWeights, exitRuleOf, ruleWeights, strategyWeights } from './rule-network.js';
import { playEpisode, type EpisodeOutcome } from './self-play.js';
import { TradingEnv } from './trading-env.js';

/** One generation of the best/current loop, as recorded in `loop.json`. */
export interface LoopState {
  readonly v: 1;
  readonly fingerprint: string;
  readonly trainBatches: readonly [number, number];
  readonly validationBatches: readonly [number, number];
  readonly trainedOn: { readonly from: number; readonly to: number };
  readonly normalizer: Normalizer;
  /** The observation's ranker signal: the ranker model's, or the fallback rule calibrated on the training batches. */
  readonly signal: SignalSpec;
  readonly best: string;
  readonly generations: readonly GenerationRecord[];
}

export interface LoopOptions {
  readonly tape: MarketTape;
  readonly config: Config;
  readonly rl: RlConfig;
  readonly out: string;
  /** Batch ranges [from, to) for self-play training episodes and for the held-out validation episodes. */
  readonly trainBatches: readonly [number, number];
  readonly validationBatches: readonly [number, number];
  readonly data: readonly string[];
  readonly generations: number;
  /**
   * The ranker model's signal when the tape was scored by one (`ranking.model`); otherwise the tape's rule
   * score is calibrated on the training batches against `label` (the ranker's default label at the env's fee).
   */
  readonly marketSignal?: SignalSpec;
  readonly label?: BarrierSpec;
  readonly onLog?: (line: string) => void;
  readonly onProgress?: (what: string, fraction: number) => void;
  readonly signal?: AbortSignal;
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFile(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

function mean(xs: readonly number[]): number {
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** The promotion gate's answer for one candidate: the paired test, the level it was held to, and the decision. */
export interface PromotionDecision {
  readonly test: PairedTest;
  readonly tried: number;
  readonly alpha: number;
  readonly promoted: boolean;
}

/**
 * The promotion gate: the `tried`-th candidate replaces the incumbent only when its mean paired
 * validation return beats the incumbent's by more than the margin with p < alpha (one-sided paired
 * sign-flip test), alpha divided by the number of candidates tried so far when `adjustForTries`.
 */
export function promotionDecision(candidate: readonly number[], incumbent: readonly number[], loop: RlConfig['loop'], tried: number, seed: number): PromotionDecision {
  const test = pairedSignFlipTest(candidate, incumbent, loop.margin, loop.permutations, seed);
  const alpha = loop.adjustForTries ? loop.alpha / tried : loop.alpha;
  return { test, tried, alpha, promoted: test.meanDiff > 0 && test.pValue < alpha };
}

/** The version name of the cash network (rule-network.ts `cashWeights`) when the gate chooses it. */
export const CASH = 'cash';

function normalizerFor(tape: MarketTape, from: number, to: number): Normalizer {
  const M = tape.markets.length;
  const rows: number[] = [];
  for (let c = from * M; c < to * M; c++) if (tape.present[c] === 1) rows.push(c);
  return fitNormalizer(tape.features, FEATURE_COUNT, rows);
}

/**
 * The seed's best/current loop, one generation at a time:
 * 1. best_player plays the training episodes (ε-greedy; the first generation's untrained best explores
 *    uniformly) and fills the self-play memory;
 * 2. current_player starts as a copy of best's network and trains on that memory (double DQN, worker thread);
 * 3. both play the same held-out validation episodes greedily (paired: same spans, markets, costs);
 * 4. current replaces best only if mean(current − best − margin) > 0 is significant at `alpha` / candidates
 *    tried under a one-sided paired sign-flip test (promotionDecision); the player this keeps then goes on
 *    trading only if it beats cash (every return 0) through the same test, else cash becomes best: the
 *    agent holds cash unless validation shows an edge, as `ranker walk-forward --choose` does.
 * Generation 0 is the edge rule written as the network (`loop.start` 'rule', rule-network.ts).
 * Every generation (metrics, decision, versions) is appended to `<out>/loop.json`, models go to
 * `<out>/models/vN` with `ACTIVE` naming best; a restart resumes after the last recorded generation, with
 * per-generation seeds, so the resumed loop continues as the uninterrupted one would.
 */
export async function runSelfPlayLoop(options: LoopOptions): Promise<LoopState> {
  const { tape, config, rl, out } = options;
  const log = options.onLog ?? (() => {});
  const models = join(out, 'models');
  await mkdir(models, { recursive: true });
  const stateFile = join(out, 'loop.json');
  const fingerprint = JSON.stringify({ rl, config, markets: tape.markets, batches: tape.batches, t0: tape.ts[0], train: options.trainBatches, validation: options.validationBatches });
  const trainedOn = { from: tape.ts[options.trainBatches[0]] as number, to: (tape.ts[options.validationBatches[1] - 1] as number) + 1 };
  let state: LoopState;
  let bestWeights: QWeights;
  if (existsSync(stateFile)) {
    state = JSON.parse(await readFile(stateFile, 'utf8')) as LoopState;
    if (state.fingerprint !== fingerprint) throw new Error(`${stateFile} belongs to another run (data, spans or configuration differ): use another --out or remove it`);
    if (!state.signal) throw new Error(`${stateFile} was written by an older build (no ranker signal in its observation): use another --out or remove it`);
    bestWeights = (await loadAgent(join(models, state.best))).weights;
    log(`resuming after generation ${state.generations.length} (best ${state.best})`);
  } else {
    const normalizer = normalizerFor(tape, options.trainBatches[0], options.trainBatches[1]);
    // The fee the environment charges (Upbit KRW's own, else the simulator's).
    const fee = (tape.markets[0] ?? '').endsWith('/KRW') ? 0.0005 : config.simulator.feeRate;
    const label = options.label ?? { ...barrierSpec(parseRankerConfig({})), feeRate: fee };
    const signal = options.marketSignal ?? fitRuleSignal(tape, options.trainBatches[0], options.trainBatches[1], label);
    log(describeSignal(signal));
    const spec = qSpec(OBSERVATION_SIZE, rl.agent.hidden, rl.agent.dueling);
    const fromStrategy = rl.actions.source === 'strategy';
    bestWeights = rl.loop.start === 'untrained' ? initWeights(spec, rl.seed) : fromStrategy ? strategyWeights(spec, rl.seed) : ruleWeights(spec, exitRuleOf(signal), rl.seed);
    if (rl.loop.start === 'rule' && fromStrategy) log('generation 0: the configured rule strategy (take every entry it offers, its exits; actions.source strategy)');
    else if (rl.loop.start === 'rule') log(`generation 0: the edge rule (buy the candidates${rl.actions.candidates ? ` with expected net return above ${(rl.actions.minEdge * 100).toFixed(2)} %` : ''}; sell above +${(signal.target * 100).toFixed(2)} %, below −${(signal.stop * 100).toFixed(2)} % or after ${signal.horizonMs / 3_600_000} h)`);
    state = { v: 1, fingerprint, trainBatches: options.trainBatches, validationBatches: options.validationBatches, trainedOn, normalizer, signal, best: 'v0', generations: [] };
    await saveAgent(join(models, 'v0'), bestWeights, meta(state, 'v0', 0));
    await setActive(models, 'v0');
    await writeJsonAtomic(stateFile, state);
  }
  function meta(s: LoopState, version: string, generation: number): AgentMeta {
    return { version, kind: 'rl-dqn', generation, spec: bestWeights.spec, featureNames: FEATURE_NAMES, positionFeatureNames: POSITION_FEATURE_NAMES, normalizer: s.normalizer, signal: s.signal, trainedOn, data: options.data, rlConfig: rl, engineConfig: config };
  }
  applySignal(tape, state.signal);
  const env = new TradingEnv({ tape, config, reward: rl.reward, normalizer: state.normalizer, actions: rl.actions });
  const play = (episodes: readonly Episode[], forward: QForward | undefined, epsilon: number, seed: number, memory?: MemoryWriter, label = ''): EpisodeOutcome[] => {
    const random = new Random(seed);
    const outcomes: EpisodeOutcome[] = [];
    for (const [i, e] of episodes.entries()) {
      outcomes.push(playEpisode(env, e, { ...(forward ? { forward } : {}), epsilon, random, ...(memory ? { memory, keepIdle: rl.agent.keepIdle, gamma: rl.agent.gamma, nStep: rl.agent.nStep } : {}) }));
      options.onProgress?.(label, (i + 1) / episodes.length);
    }
    return outcomes;
  };
  for (let g = state.generations.length + 1; g <= options.generations; g++) {
    if (options.signal?.aborted) break;
    const started = performance.now();
    const seed = rl.seed * 1000 + g;
    const bestForward = new QForward(bestWeights);
    // Only an untrained v0 explores uniformly; the rule (or a trained best) plays ε-greedily.
    const untrained = state.best === 'v0' && rl.loop.start === 'untrained';
    const epsilon = untrained ? 1 : rl.agent.epsilon;
    const memory = new MemoryWriter();
    const trainEpisodes = sampleEpisodes(tape, options.trainBatches[0], options.trainBatches[1], rl.episode.batches, rl.episode.markets, rl.loop.trainEpisodes, seed);
    const selfPlay = play(trainEpisodes, untrained ? undefined : bestForward, epsilon, seed, memory, `generation ${g}: self-play`);
    const mem = memory.finish();
    log(`generation ${g}: best ${state.best} played ${trainEpisodes.length} episodes (ε ${epsilon}), memory ${mem.n} transitions, mean return ${(mean(selfPlay.map((o) => o.return)) * 100).toFixed(2)} %`);
    const trained: DqnResult = await trainInWorker(
      { weights: bestWeights, memory: mem, steps: rl.agent.trainSteps, batchSize: rl.agent.batchSize, learningRate: rl.agent.learningRate, targetUpdate: rl.agent.targetUpdate, huberDelta: rl.agent.huberDelta, seed },
      (m) => options.onProgress?.(`generation ${g}: training`, m.step / m.steps),
      options.signal,
    );
    const version = `v${g}`;
    const s0 = state;
    await saveAgent(join(models, version), trained.weights, meta(s0, version, g));
    // Fresh, non-overlapping validation episodes every generation; both players play the same ones.
    const validation = tiledEpisodes(tape, options.validationBatches[0], options.validationBatches[1], rl.episode.batches, rl.episode.markets, rl.loop.validationEpisodes, rl.seed * 7919 + g);
    const bestValidation = play(validation, bestForward, 0, 0, undefined, `generation ${g}: validating best`);
    const currentValidation = play(validation, new QForward(trained.weights), 0, 0, undefined, `generation ${g}: validating current`);
    const b = bestValidation.map((o) => o.return);
    const c = currentValidation.map((o) => o.return);
    // Every candidate tried so far counts: one trained network a generation, and cash when it was tried.
    const triedBefore = state.generations.reduce((a, r) => a + 1 + (r.validation.cash ? 1 : 0), 0);
    const trainedDecision = promotionDecision(c, b, rl.loop, triedBefore + 1, seed);
    const { test, tried, alpha } = trainedDecision;
    const tradesBest = bestValidation.reduce((a, o) => a + o.trades, 0);
    const tradesCurrent = currentValidation.reduce((a, o) => a + o.trades, 0);
    // Cash is the default: the player the gate keeps (the candidate when it won, else the incumbent) goes on
    // trading only if its returns beat cash's 0 on these episodes, through the same test, as one more
    // candidate tried. A player that did not trade is cash already; a candidate that just beat cash was tested.
    const keptReturns = trainedDecision.promoted ? c : b;
    const keptTrades = trainedDecision.promoted ? tradesCurrent : tradesBest;
    const cash = rl.loop.cashChallenger && state.best !== CASH && keptTrades > 0 ? promotionDecision(keptReturns, b.map(() => 0), rl.loop, triedBefore + 2, seed + 1) : undefined;
    const next = cash && !cash.promoted ? CASH : trainedDecision.promoted ? version : undefined;
    const promoted = next !== undefined;
    const record: GenerationRecord = {
      generation: g,
      best: state.best,
      candidate: version,
      memory: mem.n,
      selfPlay: { meanReturn: mean(selfPlay.map((o) => o.return)), epsilon, trades: selfPlay.reduce((a, o) => a + o.trades, 0) },
      training: { backend: trained.backend, losses: trained.losses, samplesPerSecond: trained.samplesPerSecond, seconds: trained.seconds },
      validation: {
        episodes: validation.length,
        best: b,
        current: c,
        meanBest: mean(b),
        meanCurrent: mean(c),
        meanDiff: test.meanDiff,
        pValue: test.pValue,
        test: `${test.test}, margin ${rl.loop.margin}, ${rl.loop.permutations} flips, alpha ${rl.loop.alpha}${rl.loop.adjustForTries ? ` / ${tried} candidates tried` : ''}`,
        candidatesTried: tried,
        alpha,
        tradesBest,
        tradesCurrent,
        feesBest: bestValidation.reduce((a, o) => a + o.fees, 0),
        feesCurrent: currentValidation.reduce((a, o) => a + o.fees, 0),
        ...(cash ? { cash: { player: trainedDecision.promoted ? version : state.best, meanDiff: cash.test.meanDiff, pValue: cash.test.pValue, candidatesTried: cash.tried, alpha: cash.alpha, promoted: next === CASH } } : {}),
      },
      promoted,
      bestAfter: next ?? state.best,
      seconds: (performance.now() - started) / 1000,
    };
    log(
      `generation ${g}: validation on ${validation.length} paired episodes: best ${(record.validation.meanBest * 100).toFixed(3)} %, current ${(record.validation.meanCurrent * 100).toFixed(3)} %, ` +
        `mean diff ${(test.meanDiff * 100).toFixed(3)} pp, p = ${test.pValue.toFixed(4)} (candidate ${tried} tried, alpha ${alpha.toPrecision(3)}); trades best ${record.validation.tradesBest}, current ${record.validation.tradesCurrent}` +
        `${record.validation.tradesCurrent === 0 ? ' (the candidate stays in cash: a correct result where nothing pays after costs, promoted when it loses significantly less than the incumbent)' : ''}` +
        `${cash ? `; ${trainedDecision.promoted ? version : state.best} against cash: mean diff ${(cash.test.meanDiff * 100).toFixed(3)} pp, p = ${cash.test.pValue.toFixed(4)} (candidate ${cash.tried} tried, alpha ${cash.alpha.toPrecision(3)})` : ''} → ${next ? `promoted ${next}` : `kept ${state.best}`}`,
    );
    if (next === version) {
      bestWeights = trained.weights;
      await setActive(models, version);
    } else if (next === CASH) {
      bestWeights = rl.actions.source === 'strategy' ? strategyWeights(bestWeights.spec, rl.seed, false) : cashWeights(bestWeights.spec, exitRuleOf(state.signal), rl.seed);
      await saveAgent(join(models, CASH), bestWeights, meta(state, CASH, g));
      await setActive(models, CASH);
    }
    state = { ...state, best: record.bestAfter, generations: [...state.generations, record] };
    await writeJsonAtomic(stateFile, state);
    await writeLearningCurve(out, state.generations);
  }
  return state;
}
