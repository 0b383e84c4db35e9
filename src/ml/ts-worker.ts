import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** What a worker posts: progress of its own, then `done` or `error`. */
export type WorkerMessage = { readonly type: string } | { readonly type: 'error'; readonly message: string };

export interface TsWorkerOptions<M extends WorkerMessage> {
  /** The TypeScript module the worker runs (it starts its job when it sees `workerData`). */
  readonly module: URL;
  readonly workerData: unknown;
  readonly transferList?: ArrayBuffer[];
  /** Names the worker in errors (`training worker`, `DQN worker`). */
  readonly label: string;
  readonly onMessage?: (message: M) => void;
  readonly signal?: AbortSignal;
}

/**
 * Runs a TypeScript module in a worker thread and resolves with its `done` message. Node 20 does not
 * apply `--import tsx` from execArgv to a worker's own entry file, so a one-line bootstrap registers tsx
 * inside the worker and then imports the module. Aborting `signal` terminates the worker.
 */
export function runTsWorker<M extends WorkerMessage>(o: TsWorkerOptions<M>): Promise<Extract<M, { type: 'done' }>> {
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  // The compiled CLI (dist/) has the module's .js beside this file: run it as is, without tsx.
  const code = import.meta.url.endsWith('.js')
    ? `import(${JSON.stringify(o.module.href.replace(/\.ts$/, '.js'))});`
    : `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(o.module.href)}); });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: o.workerData, ...(o.transferList ? { transferList: o.transferList } : {}) });
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', abort);
      fn();
      void worker.terminate();
    };
    const abort = (): void => finish(() => reject(new Error('training interrupted')));
    o.signal?.addEventListener('abort', abort);
    worker.on('message', (m: M) => {
      if (m.type === 'done') finish(() => resolve(m as Extract<M, { type: 'done' }>));
      else if (m.type === 'error') finish(() => reject(new Error(`${o.label} failed: ${(m as { message: string }).message}`)));
      else o.onMessage?.(m);
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`${o.label} exited with code ${code} before finishing`))));
  });
}
