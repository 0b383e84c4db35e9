import { CHANNEL_NAMES, type ChannelName } from '../../store/channels.js';
import { redactUrl } from '../../store/redact-url.js';
import { RedisStore } from '../../store/redis-store.js';
import { UsageError } from '../args.js';
import { CONFIG_FLAGS, type Command } from '../command.js';
import { formatMonitorLine } from './monitor-format.js';
import { commandConfig, durationFlag } from './replay-input.js';
import { probeRedis } from '../../store/redis-probe.js';
import type { CommandIo } from '../command.js';

/**
 * Waits until Redis answers, saying on stderr each failed attempt with its count and the next delay
 * (1 s doubling to 10 s); false when `timeoutMs` passed or the command was interrupted first.
 */
async function reachRedis(url: string, io: CommandIo, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const failure = await probeRedis(url, 2_000);
    if (failure === undefined) return true;
    const left = timeoutMs - (Date.now() - started);
    const delay = Math.min(10_000, 1_000 * 2 ** (attempt - 1), Math.max(0, left));
    if (left <= 0 || io.signal.aborted) {
      io.stderr.write(`coinrx monitor: cannot reach ${redactUrl(url)} (${failure}); gave up after ${attempt} attempt(s)${Number.isFinite(timeoutMs) ? ` (--timeout ${Math.round(timeoutMs / 1000)} s)` : ''}\n`);
      return false;
    }
    io.stderr.write(`monitor: cannot reach ${redactUrl(url)} (${failure}); attempt ${attempt}, retrying in ${Math.round(delay / 1000)} s${Number.isFinite(timeoutMs) ? '' : ' (Ctrl-C or --timeout to stop)'}\n`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      io.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}

export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'print the live monitoring channels of running bots (Redis pub/sub), one line per message',
  examples: ['coinrx monitor --redis redis://127.0.0.1:6379', 'coinrx monitor --bot coinrx --channels decisions,fills,health', 'REDIS_URL=redis://127.0.0.1:6379 coinrx monitor --json'],
  flags: {
    redis: { type: 'string', valueName: 'url', description: 'Redis URL (default: redis.url, i.e. REDIS_URL)' },
    bot: { type: 'string', valueName: 'id', description: 'only this bot (default: every bot)' },
    channels: { type: 'string', valueName: 'a,b', description: `only these channels: ${CHANNEL_NAMES.join(',')} (default: all)` },
    json: { type: 'boolean', description: 'print each message as received, one JSON object a line' },
    count: { type: 'string', valueName: 'n', description: 'exit after n messages' },
    timeout: { type: 'string', valueName: 'duration', description: 'give up when Redis cannot be reached for this long, e.g. 30s (default: keep retrying)' },
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = commandConfig(args, io);
    const url = args.strings.get('redis') ?? config.redis.url;
    if (!url) throw new UsageError('monitor needs Redis: pass --redis <url> or set REDIS_URL');
    const botId = args.strings.get('bot');
    if (botId !== undefined && !/^[a-z0-9_-]+$/i.test(botId)) throw new UsageError(`--bot: not a bot id: "${botId}"`);
    const channelsText = args.strings.get('channels');
    const channels = channelsText?.split(',').map((c) => c.trim()).filter(Boolean);
    const unknown = channels?.filter((c) => !(CHANNEL_NAMES as readonly string[]).includes(c)) ?? [];
    if (unknown.length > 0) throw new UsageError(`--channels: unknown channel(s) ${unknown.join(', ')}; known: ${CHANNEL_NAMES.join(', ')}`);
    const countText = args.strings.get('count');
    const limit = countText === undefined ? Infinity : Number(countText);
    if (!(limit === Infinity || (Number.isInteger(limit) && limit > 0))) throw new UsageError(`--count must be a positive integer, got "${countText}"`);
    const json = args.booleans.has('json');
    const timeoutMs = durationFlag(args, 'timeout') ?? Infinity;

    const store = new RedisStore({ url, botId: botId ?? 'monitor' });
    let seen = 0;
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    if (io.signal.aborted) stop();
    io.signal.addEventListener('abort', () => stop(), { once: true });
    const where = `${botId === undefined ? 'every bot' : `bot ${botId}`}, channels ${(channels ?? CHANNEL_NAMES).join(',')}`;
    io.stderr.write(`monitor: connecting to ${redactUrl(url)} (${where})\n`);
    if (!(await reachRedis(url, io, timeoutMs))) return io.signal.aborted ? 130 : 1;
    const subscription = await Promise.race([
      store.subscribe({ ...(botId !== undefined ? { botId } : {}), ...(channels ? { channels: channels as ChannelName[] } : {}) }, (message) => {
        if (seen >= limit) return;
        seen++;
        io.stdout.write(`${json ? JSON.stringify({ channel: message.channel, message: message.message }) : formatMonitorLine(message)}\n`);
        if (seen >= limit) stop();
      }),
      stopped.then(() => undefined),
    ]);
    if (subscription) {
      io.stderr.write('monitor: subscribed; Ctrl-C to stop\n');
      await stopped;
      await subscription.unsubscribe();
    }
    await store.close(0);
    return 0;
  },
};
