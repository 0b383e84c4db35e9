/**
 * The dependency rules of coinrx (../shared/DESIGN.md, "Dependency direction"), checked by
 * test/architecture.spec.ts on every `npm test`:
 * - `src/core` imports nothing internal; `streams`, `machines` and `strategies` take only each other and `src/core`;
 * - nothing imports `src/cli` (the CLI is the outermost layer);
 * - `src/ml` and `src/report` use the engine only through `src/engine/index.ts`;
 * - no cycles, type-only ones included.
 * Not enforced: "every folder through its index.ts" elsewhere. An index barrel loads everything it
 * re-exports, and the CLI loads ccxt, ioredis and tfjs only in the commands that use them (a CLI that
 * starts at once); a rule that forced barrels would undo that.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a cycle of files', from: {}, to: { circular: true } },
    {
      name: 'core-imports-nothing-internal',
      severity: 'error',
      comment: 'src/core holds the domain types and ports: it depends on nothing of the project',
      from: { path: '^src/core/' },
      to: { path: '^(src|streams|machines|strategies)/', pathNot: '^src/core/' },
    },
    {
      name: 'pure-layers-take-only-core',
      severity: 'error',
      comment: 'streams, machines and strategies are pure: they take only each other and src/core',
      from: { path: '^(streams|machines|strategies)/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    { name: 'nothing-imports-cli', severity: 'error', from: { pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
    {
      name: 'ml-and-report-through-the-engine-door',
      severity: 'error',
      comment: 'ML and reports use the engine through src/engine/index.ts, never its insides',
      from: { path: '^src/(ml|report)/' },
      to: { path: '^src/engine/', pathNot: '^src/engine/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(test|bench|node_modules|dist)/' },
  },
};
