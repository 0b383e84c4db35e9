import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** What `initBackend` settled on, and why the better ones were passed over. */
export interface BackendInfo {
  readonly backend: BackendName;
  readonly skipped: readonly string[];
}

let chosen: Promise<BackendInfo> | undefined;

/**
 * Picks the best TensorFlow.js backend that actually loads (DESIGN.md): tfjs-node (native libtensorflow)
 * if its optional install succeeded, else WebAssembly (SIMD; several times faster than cpu), else plain
 * JS cpu. Once per thread: a training worker calls it again in its own thread. The wasm binary is read
 * from node_modules by file path, so nothing is downloaded at run time.
 * `COINRX_TF_BACKEND=cpu|wasm|tensorflow` forces one (for comparisons and for reproducing a run).
 */
export function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  chosen ??= pick(prefer ?? (process.env['COINRX_TF_BACKEND'] as BackendName | undefined));
  return chosen;
}

async function pick(prefer: BackendName | undefined): Promise<BackendInfo> {
  const skipped: string[] = [];
  const order: BackendName[] = prefer ? [prefer] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    try {
      if (name === 'tensorflow') {
        // A variable specifier: the package is optional and usually absent, so the type checker must not look for it.
        const specifier = '@tensorflow/tfjs-node';
        await import(specifier);
      } else if (name === 'wasm') {
        const require = createRequire(import.meta.url);
        setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { backend: name, skipped };
      }
      skipped.push(`${name}: setBackend returned false`);
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no TensorFlow.js backend loads: ${skipped.join('; ')}`);
}
