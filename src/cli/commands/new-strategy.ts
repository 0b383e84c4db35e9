import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { strategySpecTemplate, strategyTemplate, type TemplateImports } from './strategy-template.js';

/** `./x.js` style import path from a file in `fromDir` to `target` (a .ts file imported as .js, NodeNext). */
function importPath(fromDir: string, target: string): string {
  const path = relative(fromDir, target).split(sep).join('/').replace(/\.ts$/, '.js');
  return path.startsWith('.') ? path : `./${path}`;
}

/** `MyMomentum`, `my_momentum` or `my-momentum` → `my-momentum`; undefined when nothing usable is left. */
export function kebabName(name: string): string | undefined {
  const kebab = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[_\s]+/g, '-')
    .toLowerCase();
  return /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(kebab) ? kebab : undefined;
}

/**
 * `coinrx new-strategy <name>`: writes `strategies/<name>.ts` (a working strategy module: ranked entries,
 * take-profit, trailing stop, stop-loss, time limit) and `test/strategies/<name>.marble.spec.ts`, in the
 * coinrx checkout it runs in. Never overwrites.
 */
export const newStrategyCommand: Command = {
  name: 'new-strategy',
  summary: 'write a strategy module template and its marble spec (run it with backtest --strategy)',
  examples: ['coinrx new-strategy my-momentum', 'coinrx backtest --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json --strategy ./strategies/my-momentum.ts'],
  flags: {
    dir: { type: 'string', valueName: 'dir', description: 'folder for the strategy file (default strategies/); the spec goes to test/strategies/' },
  },
  async run(args, io) {
    const [given, ...extra] = args.positionals;
    if (given === undefined) throw new UsageError('give the strategy a name, e.g. coinrx new-strategy my-momentum');
    if (extra.length > 0) throw new UsageError(`one name only, got also ${extra.join(' ')}`);
    const name = kebabName(given);
    if (name === undefined) throw new UsageError(`"${given}" is not a usable name: letters and digits, words joined by dashes (my-momentum)`);
    const root = process.cwd();
    const core = join(root, 'src', 'core', 'index.ts');
    const strategies = join(root, 'strategies', 'index.ts');
    if (!existsSync(core) || !existsSync(strategies)) throw new UsageError(`${root} is not a coinrx checkout (no src/core/index.ts and strategies/index.ts): run new-strategy at the top of it`);
    const dir = resolve(root, args.strings.get('dir') ?? 'strategies');
    const file = join(dir, `${name}.ts`);
    const spec = join(root, 'test', 'strategies', `${name}.marble.spec.ts`);
    for (const path of [file, spec]) if (existsSync(path)) throw new UsageError(`${relative(root, path)} exists already: pick another name or remove it`);
    const imports: TemplateImports = {
      core: importPath(dir, core),
      strategies: importPath(dir, strategies),
      specStrategy: importPath(dirname(spec), file),
      specCore: importPath(dirname(spec), core),
      specStrategies: importPath(dirname(spec), strategies),
    };
    await mkdir(dir, { recursive: true });
    await mkdir(dirname(spec), { recursive: true });
    await writeFile(file, strategyTemplate(name, imports));
    await writeFile(spec, strategySpecTemplate(name, imports));
    io.stdout.write(
      `wrote ${relative(root, file)} and ${relative(root, spec)}\n` +
        `test it:      npx vitest run ${relative(root, spec)}\n` +
        `backtest it:  coinrx backtest --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json --strategy ./${relative(root, file)}\n`,
    );
    return 0;
  },
};
