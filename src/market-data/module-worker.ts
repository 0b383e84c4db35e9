import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module `name` (no extension) of the directory of `here` (the caller's
 * import.meta.url): its `.js` compiled, its `.ts` under the TypeScript. Running the TypeScript (tsx,
 * vitest), a loader registered at run time (as bin/coinrx.js registers tsx) does not reach a thread, so
 * the thread registers tsx's CommonJS hook, which starts in about a third of the time of its ESM loader
 * (that one runs in a thread of its own).
 */
export function startModuleWorker(here: string, name: string, workerData: unknown): Worker {
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), { workerData });
  const tsx = createRequire(here).resolve('tsx/cjs/api');
  const entry = fileURLToPath(new URL(`./${name}.ts`, here));
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`, { eval: true, workerData });
}
