import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { runDqnJob, type DqnJob, type DqnMessage, type DqnResult } from './dqn-train.js';

/**
 * Trains current_player in a worker thread (the event loop — progress output, a live engine — stays
 * free). The worker registers tsx itself and imports this module, whose bottom runs the job.
 */
export function trainInWorker(job: DqnJob, onProgress?: (m: Extract<DqnMessage, { type: 'progress' }>) => void, signal?: AbortSignal): Promise<DqnResult> {
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const target = new URL('./dqn-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Promise<DqnResult>((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { kind: 'coinrx-dqn', job } });
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      fn();
      void worker.terminate();
    };
    const abort = (): void => finish(() => reject(new Error('training interrupted')));
    signal?.addEventListener('abort', abort);
    worker.on('message', (m: DqnMessage) => {
      if (m.type === 'done') finish(() => resolve(m.result));
      else if (m.type === 'error') finish(() => reject(new Error(`DQN worker failed: ${m.message}`)));
      else onProgress?.(m);
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`DQN worker exited with code ${code} before finishing`))));
  });
}

if (parentPort && workerData && (workerData as { kind?: string }).kind === 'coinrx-dqn') {
  const port = parentPort;
  runDqnJob((workerData as { job: DqnJob }).job, (m) => port.postMessage(m))
    .then((result) => port.postMessage({ type: 'done', result } satisfies DqnMessage))
    .catch((error: unknown) => port.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies DqnMessage));
}
