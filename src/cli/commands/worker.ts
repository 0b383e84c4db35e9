import { hostname } from 'node:os';
import { startOptimizeWorker } from '../../optimize/optimize-worker.js';
import { redactUrl } from '../../store/redact-url.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { durationFlag } from './replay-input.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'take `coinrx optimize --redis` backtests and `coinrx ranker train --redis` folds from the queue and run them on this machine (data found by content hash)',
  examples: ['coinrx worker --redis redis://10.0.0.5:6379 --data ../shared/data', 'coinrx worker --redis redis://127.0.0.1:6379 --concurrency 1'],
  flags: {
    redis: { type: 'string', valueName: 'url', description: 'the Redis the search was started with (default: REDIS_URL)' },
    data: { type: 'list', valueName: 'dir', description: 'folders where the search data is looked for by content (default: the current folder)' },
    concurrency: { type: 'string', valueName: 'n', description: 'jobs at once in this process (default 1: start one worker process a core instead)' },
    queue: { type: 'string', valueName: 'name', description: 'BullMQ queue name (default coinrx-optimize)' },
    'lock-duration': { type: 'string', valueName: 'duration', description: "a job's lock; renewed while it runs, a killed worker's job is retried once it lapses (default 30s)" },
    'stalled-interval': { type: 'string', valueName: 'duration', description: 'how often to look for jobs whose worker died (default 30s)' },
    name: { type: 'string', valueName: 'text', description: 'this worker in the logs and on its jobs (default host-pid)' },
  },
  async run(args, io) {
    const url = args.strings.get('redis') ?? io.env['REDIS_URL'];
    if (!url) throw new UsageError('--redis is required (the Redis URL coinrx optimize --redis was given), or set REDIS_URL');
    const concurrencyText = args.strings.get('concurrency') ?? '1';
    const concurrency = Number(concurrencyText);
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new UsageError(`--concurrency must be a whole number of at least 1, got "${concurrencyText}"`);
    const lockDurationMs = durationFlag(args, 'lock-duration') ?? 30_000;
    const stalledIntervalMs = durationFlag(args, 'stalled-interval') ?? 30_000;
    if (lockDurationMs < 100 || stalledIntervalMs < 100) throw new UsageError('--lock-duration and --stalled-interval must be at least 100ms');
    const name = args.strings.get('name') ?? `${hostname()}-${process.pid}`;
    const roots = args.lists.get('data') ?? ['.'];
    const log = (line: string): void => void io.stderr.write(`worker ${name}: ${line}\n`);
    const worker = await startOptimizeWorker({ url, roots, concurrency, lockDurationMs, stalledIntervalMs, name, log, ...(args.strings.has('queue') ? { queue: args.strings.get('queue') as string } : {}) });
    log(`waiting for jobs on ${redactUrl(url)} (data under ${roots.join(', ')}; concurrency ${concurrency})`);
    const stop = (): void => {
      log('stopping after the jobs in hand');
      void worker.close();
    };
    if (io.signal.aborted) stop();
    else io.signal.addEventListener('abort', stop, { once: true });
    return worker.finished;
  },
};
