import type { Config } from '../../config.js';
import { wallTimerClock, type MarketRules, type MarketSymbol } from '../../core/index.js';
import type { CcxtExchange, LiveAccount } from '../../exchange/ccxt/index.js';
import { storeFromConfig, type Store } from '../../store/index.js';
import type { BatchScorer } from '../../../streams/index.js';
import { createKernel, type Kernel, type StrategyFactory } from '../kernel.js';
import type { FillLedger } from '../fill-ledger.js';
import { untradedPositionLines } from '../untraded-markets.js';
import { orphanSearchMarkets } from '../orphan-search-markets.js';
import { loggedOrderMarkets } from '../logged-order-markets.js';
import { unlistedMarketRules } from '../unlisted-market-rules.js';
import { adoptOrphanOrders, lastSnapshotTs, loadFillLedger, loadLiveRestore, restoredOrders, restoredPositions, StoreUnavailableError } from '../live-restore.js';

/** A live start that cannot go on: one line for the trader (nothing was traded). */
export class LiveStartError extends Error {
  /** A bad setting (exit as a usage error) rather than an exchange or a store out of reach. */
  readonly usage: boolean;
  constructor(message: string, usage = false) {
    super(message);
    this.usage = usage;
  }
}

export interface LiveKeys {
  readonly apiKey: string;
  readonly secret: string;
  readonly password?: string;
}

/**
 * The account's keys from the environment (Upbit: UPBIT_ACCESS_KEY / UPBIT_SECRET_KEY; others:
 * <ID>_API_KEY / <ID>_SECRET and <ID>_PASSWORD where the exchange needs one); missing ones are a usage error
 * naming the variables. Never logged.
 */
export async function liveKeys(config: Config, env: Readonly<Record<string, string | undefined>>): Promise<LiveKeys> {
  const id = config.exchange.id;
  // ccxt is large: loaded only when live trading actually starts.
  const { keyVariables } = await import('../../exchange/ccxt/index.js');
  const vars = keyVariables(id);
  const apiKey = env[vars.apiKey];
  const secret = env[vars.secret];
  const password = env[vars.password];
  if (!apiKey || !secret) throw new LiveStartError(`${vars.apiKey} and ${vars.secret} must be set for live trading on ${id} (paper trading needs no keys: npm start)`, true);
  return { apiKey, secret, ...(password ? { password } : {}) };
}

/** The exchange with the account's keys, and its markets' rules. */
export interface LiveExchange {
  readonly exchange: CcxtExchange;
  readonly rules: ReadonlyMap<MarketSymbol, MarketRules>;
  /** Where it is reached (for messages). */
  readonly where: string;
}

export interface LiveExchangeOptions {
  readonly config: Config;
  readonly keys: LiveKeys;
  readonly urls: { readonly restUrl?: string; readonly wsUrl?: string };
}

/** Connects the account's exchange and reads every market's rules (the fees and rules the kernel trades by). */
export async function connectLiveExchange(o: LiveExchangeOptions): Promise<LiveExchange> {
  const id = o.config.exchange.id;
  // ccxt is large: loaded only when live trading actually starts.
  const { CcxtExchange } = await import('../../exchange/ccxt/index.js');
  const where = o.urls.restUrl ?? `${id}'s API`;
  let exchange;
  try {
    exchange = new CcxtExchange({ exchangeId: id, apiKey: o.keys.apiKey, secret: o.keys.secret, ...(o.keys.password ? { password: o.keys.password } : {}), ...o.urls });
  } catch (error) {
    throw new LiveStartError(`exchange.id: ${(error as Error).message}`, true);
  }
  let rules: Map<MarketSymbol, MarketRules>;
  try {
    rules = new Map((await exchange.markets()).map((r) => [r.market, r]));
  } catch (error) {
    await exchange.close();
    throw new LiveStartError(`cannot read ${id}'s markets at ${where} (${(error as Error).message.slice(0, 300)}); nothing was traded`);
  }
  // The fee the strategy prices its exits with comes from these rules: an account without a market of the quote cannot trade it.
  const quote = o.config.exchange.quote;
  if (![...rules.values()].some((r) => r.quote === quote)) {
    await exchange.close();
    throw new LiveStartError(`exchange.quote: ${id} lists no ${quote} market (set exchange.quote, e.g. --set exchange.quote=USDT)`, true);
  }
  return { exchange, rules, where };
}

export interface LiveNodeOptions {
  readonly config: Config;
  readonly live: LiveExchange;
  /** Default: the configured store (Redis with `redis.url`), opened here and closed by `close()`; one given stays its owner's. */
  readonly store?: Store;
  /** One line per step of the start-up (without the `live: ` prefix). */
  readonly log: (line: string) => void;
}

/** A live session's node: the account opened on the restored bot; `start()` makes the kernel and runs its start-up. */
export interface LiveNode {
  readonly account: LiveAccount;
  /** Where the kernel records and the restart read from (the session watches its health and flushes it on stop). */
  readonly store: Store;
  readonly ledger: FillLedger;
  start(models?: { readonly scorer?: BatchScorer; readonly strategy?: StrategyFactory }): Kernel;
  /** Closes the account and the store the node opened. */
  close(): Promise<void>;
}

/**
 * The live node: the restart procedure's live steps — the store first (never an empty restore), the
 * orders of this bot no snapshot knows adopted, the account seeded with what the restored positions know —
 * then the kernel on the wall clock with the account as its venue. The kernel's start-up (the same as
 * every mode's) looks up every order the positions wait on and reports what no position accounts for;
 * trading starts after it. The warm-up a backtest `--resume` replays has no data here: nothing records
 * the market while the bot is down, so the features start from the live feed (said in the log).
 */
export async function liveNode(o: LiveNodeOptions): Promise<LiveNode> {
  const store = o.store ?? storeFromConfig(o.config);
  const closeStore = (): Promise<void> => (o.store ? Promise.resolve() : store.close(2_000));
  try {
    const node = await openLiveNode(o, store);
    return { ...node, store, close: () => node.close().finally(closeStore) };
  } catch (error) {
    await closeStore();
    throw error;
  }
}

async function openLiveNode(o: LiveNodeOptions, store: Store): Promise<Omit<LiveNode, 'store'>> {
  const { config, log } = o;
  const { exchange, rules, where } = o.live;
  const { LiveAccount, LIVE_ACK_TIMEOUT_MS } = await import('../../exchange/ccxt/index.js');
  let restore;
  try {
    restore = await loadLiveRestore(store, { timeoutMs: config.redis.restoreWaitMs, log });
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw new LiveStartError(error.message);
    throw error;
  }
  const ledger = await loadFillLedger(store);
  // Orders of this bot that no snapshot knows (killed between the order and its snapshot) are adopted:
  // those resting, and those closed with something executed, never recorded, and created after the last
  // snapshot the bot wrote (no later than now: the exchange's clock may run ahead) less ten minutes or two
  // feature batches — older orders of the bot belong to positions that were written, and settled since.
  try {
    const now = Date.now();
    const last = restore ? await lastSnapshotTs(store) : undefined;
    const since = last === undefined ? undefined : Math.min(last, now) - Math.max(600_000, 2 * config.features.every);
    // Trading every market, the closed orders are asked of the markets an orphan can be in (see
    // orphanSearchMarkets); before, none was asked and a filled orphan buy was never adopted (its coins unmanaged).
    let searched: readonly MarketSymbol[] = config.exchange.markets;
    if (since !== undefined && searched.length === 0 && config.exchange.id !== 'upbit') {
      const balances = await exchange.balances();
      const search = orphanSearchMarkets(restoredPositions(restore), balances, config.exchange.quote, (m) => rules.has(m));
      // The markets of orders the log says were placed and no snapshot knows come first: exact, and found
      // even when the coins an orphan buy left were sold by hand since.
      const known = new Set(restoredOrders(restore).map((o) => o.slot.clientId));
      const logged = (await loggedOrderMarkets(store, since, known)).filter((m) => rules.has(m));
      searched = [...new Set([...logged, ...search.markets])];
      if (search.skipped > 0) log(`reconciliation: closed orders of ${search.markets.length} markets searched for orders unknown to the snapshots; ${search.skipped} more markets whose coins the account holds were not (set exchange.markets to name them)`);
    }
    const listed = {
      open: await exchange.listOpenOrders(config.exchange.markets),
      closed: since === undefined ? [] : await exchange.listClosedOrders(since, searched),
    };
    const adoption = adoptOrphanOrders(restore, listed, { config, ackTimeoutMs: LIVE_ACK_TIMEOUT_MS, now, ledger });
    restore = adoption.checkpoint;
    for (const line of adoption.lines) log(`reconciliation: ${line}`);
  } catch (error) {
    throw new LiveStartError(`cannot list the open orders at ${where} (${(error as Error).message.slice(0, 300)}); nothing was traded`);
  }
  const restored = restoredPositions(restore);
  if (restore) log(`restored the bot and ${restored.length} position(s) from Redis${restored.length > 0 ? `: ${restored.map((c) => `${c.positionId} ${c.market}`).join(', ')}` : ''}`);
  // A restored position in a market the exchange does not list now keeps published rules where there are such (Upbit KRW), marked halted.
  const startRules = new Map(rules);
  for (const r of unlistedMarketRules(restored, (m) => rules.get(m), config.exchange.id, rules.values())) startRules.set(r.market, r);
  for (const line of untradedPositionLines(restored, (m) => startRules.get(m), config.exchange.id)) log(line);
  const quote = config.exchange.quote;
  // The rules are re-read in the background (a market halted or trading again mid-run); sizing and the
  // sells' amount step read them through the account at each use.
  const { MarketRulesRefresh } = await import('../../exchange/ccxt/index.js');
  const refresh = new MarketRulesRefresh({ read: () => exchange.markets(), initial: startRules.values(), intervalMs: config.exchange.rulesEvery, log });
  const account = await LiveAccount.open(exchange, { quote, rules: (m) => refresh.rules.get(m), markets: [...rules.values()], restored: restoredOrders(restore), log });
  refresh.start();
  return {
    account,
    ledger,
    start(models = {}) {
      const kernel = createKernel({
        config,
        quote,
        clock: wallTimerClock,
        venue: account,
        store,
        ledger,
        positionPrefix: `${config.botId}-${Date.now().toString(36)}`,
        log,
        ...(restore ? { restore: { engine: restore } } : {}),
        ...(models.scorer ? { scorer: models.scorer } : {}),
        ...(models.strategy ? { strategy: models.strategy } : {}),
      });
      if (restore) log('warm-up: no market data is recorded while the bot is down; the features start from the live feed');
      // The kernel warms up on the market data (no decision acted on) until every restored order is
      // answered for; then what no position accounts for is reported and trading starts.
      void kernel.start(log).then(
        () => {
          kernel.resume();
          log('reconciled; trading');
        },
        (error: unknown) => log(`reconciliation stopped (${(error as Error).message}); not trading`),
      );
      return kernel;
    },
    close: () => {
      refresh.close();
      return account.close();
    },
  };
}
