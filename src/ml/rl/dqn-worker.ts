import { parentPort, workerData } from 'node:worker_threads';
import { runTsWorker } from '../ts-worker.js';
import { runDqnJob, type DqnJob, type DqnMessage, type DqnResult } from './dqn-train.js';

/**
 * Trains current_player in a worker thread (the event loop — progress output, a live engine — stays
 * free). The worker registers tsx itself and imports this module, whose bottom runs the job.
 */
export async function trainInWorker(job: DqnJob, onProgress?: (m: Extract<DqnMessage, { type: 'progress' }>) => void, signal?: AbortSignal): Promise<DqnResult> {
  const done = await runTsWorker<DqnMessage>({
    module: new URL('./dqn-worker.ts', import.meta.url),
    workerData: { kind: 'coinrx-dqn', job },
    label: 'DQN worker',
    ...(onProgress
      ? {
          onMessage: (m: DqnMessage) => {
            if (m.type === 'progress') onProgress(m);
          },
        }
      : {}),
    ...(signal ? { signal } : {}),
  });
  return done.result;
}

if (parentPort && workerData && (workerData as { kind?: string }).kind === 'coinrx-dqn') {
  const port = parentPort;
  runDqnJob((workerData as { job: DqnJob }).job, (m) => port.postMessage(m))
    .then((result) => port.postMessage({ type: 'done', result } satisfies DqnMessage))
    .catch((error: unknown) => port.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies DqnMessage));
}
