/**
 * `coinrx backtest` starts reading its data (a reader thread for large inputs) before it loads the engine
 * (backtest.ts, then backtest-run.ts): whatever backtest.ts loads statically is on the way to the first
 * event. The static import graph from it, read off the sources, must hold the read's start (the replay,
 * its reader thread) and none of what a read in a thread or the engine needs: no parser, no merge, no
 * rxjs, XState, zod or ccxt, nothing of the engine or the configuration. An import added where it loads
 * them fails here before it slows every start (docs/benchmarks.md, startup).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The modules a source loads when it is loaded: static imports and re-exports, not `import type` nor `import()`. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)) specs.push(m[1] as string);
  return specs;
}

/** Every module reachable from `entry` by static imports: repository files relative to the root, packages by name. */
function graph(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    for (const spec of staticImports(file)) {
      if (!spec.startsWith('.')) {
        seen.add(spec.startsWith('node:') ? spec : (spec.split('/')[0] as string));
        continue;
      }
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) throw new Error(`${relative(root, file)}: cannot resolve ${spec}`);
      const name = relative(root, target);
      if (seen.has(name)) continue;
      seen.add(name);
      todo.push(target);
    }
  }
  return seen;
}

describe("coinrx backtest's first module loads the read's start and nothing the read in a thread or the engine needs", () => {
  const loaded = graph(join(root, 'src/cli/commands/backtest.ts'));

  it('holds the replay and its reader thread', () => {
    expect(loaded).toContain('src/market-data/replay.ts');
    expect(loaded).toContain('src/market-data/reader-thread.ts');
    expect(loaded).toContain('src/market-data/read-ahead.ts');
  });

  it('holds no parser, merge, engine, configuration or heavy package', () => {
    const heavy = [...loaded].filter(
      (m) =>
        ['rxjs', 'xstate', 'zod', 'ccxt', 'ioredis', 'pino', 'ws'].includes(m) ||
        /^src\/market-data\/(file-reader|merged-read|merge-columns|lanes|record-splitter|candle-columns)\.ts$/.test(m) ||
        m.startsWith('src/market-data/parsers/') && m !== 'src/market-data/parsers/capture-line.ts' ||
        m.startsWith('src/engine/') ||
        m.startsWith('streams/') ||
        m.startsWith('machines/') ||
        m === 'src/config.ts' ||
        m === 'src/cli/commands/backtest-run.ts',
    );
    expect(heavy).toEqual([]);
  });
});
