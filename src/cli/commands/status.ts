import type { PositionContext } from '../../../machines/index.js';
import { held } from '../../../machines/index.js';
import type { OrderLedgerEntry } from '../../engine/fill-ledger.js';
import { storeFromConfig, waitHealthy } from '../../store/index.js';
import { redactUrl } from '../../store/redact-url.js';
import { UsageError } from '../args.js';
import { CONFIG_FLAGS, type Command } from '../command.js';
import { commandConfig } from './replay-input.js';
import { KEY_PREFIX } from '../../store/channels.js';
import { probeRedis } from '../../store/redis-probe.js';

/** The ids of the bots with snapshots in this Redis (`coinrx:<bot>:snapshots:*`), sorted. */
/** Each held currency's free + locked, to 8 decimals (a float sum printed whole showed 16 digits: 0.30000000000000004). */
export function balancesText(balances: readonly { readonly currency: string; readonly free: number; readonly locked: number }[]): string {
  return balances.filter((b) => b.free + b.locked > 0).map((b) => `${b.currency} ${+(b.free + b.locked).toFixed(8)}`).join(', ');
}

async function botsInRedis(url: string): Promise<string[]> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const bots = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${KEY_PREFIX}:*:snapshots:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) bots.add(key.split(':')[1] as string);
    } while (cursor !== '0');
    return [...bots].sort();
  } finally {
    client.disconnect();
  }
}

interface PersistedBot {
  readonly value: string;
  readonly context: { readonly botId: string; readonly equity: number; readonly peakEquity: number; readonly dayOpenEquity: number; readonly stopReason?: string; readonly drawdownHalt: boolean; readonly haltedDay?: number };
}

interface PersistedPosition {
  readonly value: string;
  readonly context: PositionContext;
}

/**
 * What a bot is doing, from its snapshots in Redis (the state every running or crashed engine wrote):
 * the bot's state and equity, a checkpoint to resume from, and every open position with its order.
 */
export const statusCommand: Command = {
  name: 'status',
  summary: "a bot's state from its snapshots in Redis: bot state, equity, halts, open positions and orders",
  examples: ['REDIS_URL=redis://127.0.0.1:6379 coinrx status', 'coinrx status --bot backtest --json'],
  flags: {
    bot: { type: 'string', valueName: 'id', description: 'the bot to show (default: the one bot in Redis, or the list of them)' },
    json: { type: 'boolean', description: 'print one JSON object' },
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const named = args.strings.get('bot');
    if (named !== undefined && !/^[a-z0-9_-]+$/i.test(named)) throw new UsageError(`--bot: not a bot id: "${named}"`);
    let config = commandConfig(args, io, named !== undefined ? [`botId=${named}`] : []);
    if (!config.redis.url) throw new UsageError('status reads the bot\'s snapshots in Redis: set REDIS_URL (an in-memory store lives only inside its own process)');
    // No bot named (--bot, --set botId=, a --config profile): the bots Redis has, not a default that may not exist.
    const implicit = named === undefined && !args.strings.has('config') && !(args.lists.get('set') ?? []).some((s) => s.startsWith('botId='));
    if (implicit) {
      const failure = await probeRedis(config.redis.url, 5_000);
      if (failure !== undefined) {
        io.stderr.write(`coinrx status: Redis at ${redactUrl(config.redis.url)} does not answer (${failure})\n`);
        return 1;
      }
      const bots = await botsInRedis(config.redis.url);
      if (bots.length !== 1) {
        if (args.booleans.has('json')) io.stdout.write(`${JSON.stringify({ bots })}\n`);
        else if (bots.length === 0) io.stdout.write(`no bot has snapshots in Redis at ${redactUrl(config.redis.url)} (a run writes them when REDIS_URL is set)\n`);
        else io.stdout.write(`bots in Redis at ${redactUrl(config.redis.url)}: ${bots.join(', ')}\nshow one with: coinrx status --bot ${bots[0]}\n`);
        return 0;
      }
      config = commandConfig(args, io, [`botId=${bots[0] as string}`]);
    }
    // Read-only: status publishes nothing (no health message, no phantom bot in a monitor).
    const store = storeFromConfig(config, { readOnly: true });
    try {
      if (!(await waitHealthy(store, 5_000))) {
        io.stderr.write(`coinrx status: Redis at ${redactUrl(config.redis.url)} does not answer (${store.health.reason})\n`);
        return 1;
      }
      const bots = await store.loadSnapshots('bot');
      const positions = await store.loadSnapshots('position');
      const modelJson = (await store.loadSnapshots('model')).get('active');
      const models = modelJson ? (JSON.parse(modelJson) as { ranking: string; strategy: string }) : undefined;
      const portfolioJson = (await store.loadSnapshots('portfolio')).get('portfolio');
      const portfolio = portfolioJson ? (JSON.parse(portfolioJson) as { ts: number; equity: number; invested: number; balances: { currency: string; free: number; locked: number }[] }) : undefined;
      // Per order: what the exchange executed (its last report) beside what the bot applied (its fills, each once).
      const ledger = [...(await store.loadSnapshots('order')).values()].map((json) => JSON.parse(json) as OrderLedgerEntry).sort((a, b) => a.ts - b.ts || (a.clientId < b.clientId ? -1 : 1));
      // Entries of orders the bot did not place (earlier versions recorded hand-placed ones, all under ''): not its accounting.
      const orders = ledger.filter((o) => o.clientId.startsWith(`${config.botId}-`));
      const foreignEntries = ledger.length - orders.length;
      const botJson = bots.get('bot');
      const bot = botJson ? (JSON.parse(botJson) as PersistedBot) : undefined;
      const checkpoint = bots.get('checkpoint');
      const checkpointInfo = checkpoint ? (JSON.parse(checkpoint) as { index: number; engine: { ts: number } }) : undefined;
      const open = [...positions.entries()]
        .map(([id, json]) => ({ id, snapshot: JSON.parse(json) as PersistedPosition }))
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map(({ id, snapshot }) => {
          const c = snapshot.context;
          const order = c.sell ?? c.buy;
          return { positionId: id, market: c.market, state: snapshot.value, amount: held(c), order: order ? { side: order.side, clientId: order.clientId, price: order.price, amount: order.amount, filled: order.filled, acked: order.acked } : undefined };
        });
      if (args.booleans.has('json')) {
        io.stdout.write(`${JSON.stringify({ botId: config.botId, bot: bot ? { state: bot.value, ...bot.context } : null, checkpoint: checkpointInfo ? { index: checkpointInfo.index, ts: checkpointInfo.engine.ts } : null, models: models ?? null, portfolio: portfolio ?? null, positions: open, orders })}\n`);
        return 0;
      }
      // A bot asked for by name that Redis does not know is a failed look-up (status 1), so a script notices.
      if (!bot && open.length === 0) {
        io.stderr.write(`coinrx status: bot "${config.botId}": no snapshots in Redis at ${redactUrl(config.redis.url)} (never ran with this REDIS_URL, or another botId${implicit ? '' : '; coinrx status without --bot lists the bots there'})\n`);
        return 1;
      }
      const lines: string[] = [];
      if (bot) {
        const c = bot.context;
        const halt = c.drawdownHalt ? ' — halted by max drawdown until bot.reset' : c.haltedDay !== undefined ? ` — halted for the day ${new Date(c.haltedDay * 86_400_000).toISOString().slice(0, 10)} (daily loss limit)` : '';
        lines.push(`bot "${c.botId}": ${bot.value}${c.stopReason ? ` (${c.stopReason})` : ''}${halt}`);
        lines.push(`equity ${c.equity.toFixed(2)}, peak ${c.peakEquity.toFixed(2)}, day open ${c.dayOpenEquity.toFixed(2)}`);
      }
      if (models) lines.push(`models: ranking ${models.ranking}, strategy ${models.strategy}`);
      if (portfolio) lines.push(`balances at ${new Date(portfolio.ts).toISOString()}: ${balancesText(portfolio.balances)}`);
      if (checkpointInfo) lines.push(`checkpoint after ${checkpointInfo.index} events (${new Date(checkpointInfo.engine.ts).toISOString()}): coinrx backtest … --resume continues it`);
      lines.push(`open positions: ${open.length === 0 ? 'none' : ''}`);
      for (const p of open) {
        const o = p.order ? `, ${p.order.side} ${p.order.filled}/${p.order.amount} @ ${p.order.price} (${p.order.clientId}${p.order.acked ? '' : ', unacknowledged'})` : '';
        lines.push(`  ${p.positionId} ${p.market} ${p.state}, holds ${p.amount}${o}`);
      }
      if (orders.length > 0) {
        const mismatched = orders.filter((o) => Math.abs(o.executed - o.applied) > 1e-9 * Math.max(1, o.executed));
        lines.push(`orders: ${orders.length}, ${mismatched.length === 0 ? 'every fill applied exactly once' : `${mismatched.length} where the fills applied differ from what the exchange executed`}`);
        for (const o of orders.slice(-20)) {
          const flag = mismatched.includes(o) ? '  <-- differs' : '';
          lines.push(`  ${o.clientId} ${o.side} ${o.market} ${o.status}: exchange executed ${o.executed} of ${o.amount}, bot applied ${o.applied} in ${o.fills} fill(s)${flag}`);
        }
        if (orders.length > 20) lines.push(`  … ${orders.length - 20} older orders (--json lists every one)`);
      }
      if (foreignEntries > 0) {
        lines.push(`  ${foreignEntries} recorded order(s) this bot did not place (no ${config.botId}- client id): not its fills, left out`);
      }
      io.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    } finally {
      await store.close(1_000);
    }
  },
};
