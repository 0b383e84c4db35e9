import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
  readonly cycle?: readonly { readonly name: string }[];
}

describe('dependency rules (.dependency-cruiser.cjs)', () => {
  it('holds every rule: core imports nothing internal, pure layers take only core, nothing imports the CLI, the CLI only through the nodes, the trading modes open no store, account or live feed themselves, ML and reports through the engine door, no cycles', () => {
    const run = spawnSync(process.execPath, ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', '--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'src', 'streams', 'machines', 'strategies'], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    expect(run.error).toBeUndefined();
    const result = JSON.parse(run.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    const lines = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`);
    expect(lines).toEqual([]);
  });

  it('catches each kind of violation in a small tree made for it: the rules are live', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-depcruise-'));
    const file = (path: string, text: string): void => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    file('package.json', JSON.stringify({ type: 'module' }));
    file('src/cli/main.ts', "export const cli = 1;\n");
    file('src/cli/run.ts', "import { engine } from '../engine/trading-engine.js';\nimport type { Node } from '../engine/nodes/node.js';\nexport const r: Node = engine;\n");
    file('src/engine/nodes/node.ts', "export type Node = number;\n");
    file('src/cli/commands/live.ts', "import { store } from '../../store/index.js';\nimport type { Account } from '../../exchange/account.js';\nexport const l: Account = store;\n");
    file('src/store/index.ts', "export const store = 1;\n");
    file('src/cli/commands/paper.ts', "import { feed } from '../../market-data/live/feed.js';\nexport const p = feed;\n");
    file('src/exchange/account.ts', "export type Account = number;\n");
    file('src/core/types.ts', "import { cli } from '../cli/main.js';\nexport const core = cli;\n");
    file('streams/window.ts', "import { engine } from '../src/engine/trading-engine.js';\nexport const w = engine;\n");
    file('src/engine/trading-engine.ts', "export const engine = 1;\n");
    file('src/engine/index.ts', "export { engine } from './trading-engine.js';\n");
    file('src/ml/dataset.ts', "import { engine } from '../engine/trading-engine.js';\nimport { ok } from '../engine/index.js';\nexport const d = engine + ok;\n");
    file('machines/bot.ts', "import { strategy } from '../strategies/rule.js';\nexport const bot = strategy;\n");
    file('strategies/rule.ts', "import { pos } from '../machines/position.js';\nimport type { Pos } from '../machines/position.js';\nexport const strategy = pos;\nexport type S = Pos;\n");
    file('machines/position.ts', "export const pos = 1;\nexport type Pos = number;\n");
    file('src/market-data/live/feed.ts', "import { ex } from '../../exchange/ccxt.js';\nexport const feed = ex;\n");
    file('src/exchange/ccxt.ts', "export const ex = 1;\n");
    file('src/trading/a.ts', "import type { B } from './b.js';\nexport type A = B;\n");
    file('src/trading/b.ts', "import type { A } from './a.js';\nexport type B = A | 1;\n");
    const run = spawnSync(process.execPath, [join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json', 'src', 'streams', 'machines', 'strategies'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const result = JSON.parse(run.stdout) as { summary: { violations: Violation[] } };
    const found = new Set(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`));
    expect(found).toEqual(
      new Set([
        'core-imports-nothing-internal: src/core/types.ts → src/cli/main.ts',
        'nothing-imports-cli: src/core/types.ts → src/cli/main.ts',
        'cli-through-nodes: src/cli/run.ts → src/engine/trading-engine.ts',
        'trading-modes-open-no-store-or-account: src/cli/commands/live.ts → src/store/index.ts',
        'live-market-data-through-the-node: src/cli/commands/paper.ts → src/market-data/live/feed.ts',
        'pure-layers-take-only-core: streams/window.ts → src/engine/trading-engine.ts',
        'ml-and-report-through-the-engine-door: src/ml/dataset.ts → src/engine/trading-engine.ts',
        'no-circular: src/trading/a.ts → src/trading/b.ts',
        'market-data-is-not-the-exchange: src/market-data/live/feed.ts → src/exchange/ccxt.ts',
        'pure-layers-share-types-only: machines/bot.ts → strategies/rule.ts',
        'strategies-see-positions-not-machines: strategies/rule.ts → machines/position.ts',
      ]),
    );
  });
});
