// Used by scripts/build.js on the compiled files (dist/); see bundleWorkers.
import { renameSync } from 'node:fs';

/** The entries of the threads a command starts (startModuleWorker), each under dist/. */
const WORKERS = ['src/market-data/replay-worker.js', 'src/engine/feature-worker.js'];

/**
 * A thread loads its entry's modules before it does anything: the replay's reader thread (31 modules) took
 * 35-40 ms to import them, on the way to a backtest's first batch, and a thread shares nothing with the main
 * thread's modules. Each worker entry is bundled into one file in place (esbuild, the modules of dist/ and the
 * packages they import), about 13-16 ms to import. Only thread entries: they talk to the main thread by
 * messages, so a class of theirs being another copy than the main thread's changes nothing (an error crosses
 * as its name and message, see reader-thread.ts). The tests run the TypeScript, one module a file.
 */
export async function bundleWorkers(dist) {
  const esbuild = await import('esbuild');
  for (const entry of WORKERS) {
    const file = `${dist}/${entry}`;
    const bundled = `${file}.bundle.js`;
    await esbuild.build({ entryPoints: [file], bundle: true, format: 'esm', platform: 'node', outfile: bundled, logLevel: 'warning', legalComments: 'eof', banner: { js: "import { createRequire as __coinrxRequire } from 'node:module'; const require = __coinrxRequire(import.meta.url);" } });
    renameSync(bundled, file);
  }
}
