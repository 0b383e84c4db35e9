import { CHANNEL_NAMES, type ChannelName } from '../../store/channels.js';
import { redactUrl } from '../../store/redact-url.js';
import { RedisStore } from '../../store/redis-store.js';
import { UsageError } from '../args.js';
import { CONFIG_FLAGS, type Command } from '../command.js';
import { formatMonitorLine } from './monitor-format.js';
import { commandConfig } from './replay-input.js';

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

    const store = new RedisStore({ url, botId: botId ?? 'monitor' });
    let seen = 0;
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    if (io.signal.aborted) stop();
    io.signal.addEventListener('abort', () => stop(), { once: true });
    const where = `${botId === undefined ? 'every bot' : `bot ${botId}`}, channels ${(channels ?? CHANNEL_NAMES).join(',')}`;
    io.stderr.write(`monitor: connecting to ${redactUrl(url)} (${where})\n`);
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
