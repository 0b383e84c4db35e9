/**
 * The dependency rules of coinrx (../shared/DESIGN.md, "Dependency direction"), checked by
 * test/architecture.spec.ts on every `npm test`:
 * - `src/core` imports nothing internal; `streams`, `machines` and `strategies` take only each other and `src/core`,
 *   and of each other only types — except that strategies call the market-breadth helper of `streams`
 *   (`horizonBreadth`, a pure function of the feature snapshots);
 * - nothing imports `src/cli` (the CLI is the outermost layer), and the CLI runs the engine only through
 *   its nodes (`src/engine/nodes`: backtest, paper, live), never the engine, kernel or venues directly;
 * - the trading modes (backtest, demo, paper, live) get their store, account and live feed from the nodes,
 *   which open and close them. The CLI's other arrows into src/store, src/ml, src/exchange and
 *   src/market-data are left on purpose: they belong to no trading mode (no bot's store, account or live
 *   feed) but to data, research and monitoring commands — `data download` (ccxt, market-data/download),
 *   `features`, `rank`, `ranker`, `agent`, `optimize` (market data, ML, the optimizer), `status`,
 *   `monitor`, `worker` (reading Redis) — and to the input the backtest and demo read themselves
 *   (`replay-input.ts`, the generated market);
 * - `src/market-data` (replay readers and live feeds) never imports `src/exchange`;
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
    {
      name: 'pure-layers-share-types-only',
      severity: 'error',
      comment: 'machines and streams use nothing of each other or of strategies but types; strategies use only types of machines',
      from: { path: '^(streams|machines)/' },
      to: { path: '^(streams|machines|strategies)/', pathNot: '^$1/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'strategies-see-positions-not-machines',
      severity: 'error',
      comment: 'a strategy sees the engine-built PositionView, never the position machine',
      from: { path: '^strategies/' },
      to: { path: '^machines/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'market-data-is-not-the-exchange',
      severity: 'error',
      comment: 'market data (replay and live feeds) flows into the engine; it never reaches for the exchange adapters',
      from: { path: '^src/market-data/' },
      to: { path: '^src/exchange/' },
    },
    { name: 'nothing-imports-cli', severity: 'error', from: { pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
    {
      name: 'cli-through-nodes',
      severity: 'error',
      comment: 'the CLI runs the engine through its nodes (src/engine/nodes): never the engine, the kernel, the restart steps, the store recorder or the simulated venue directly',
      from: { path: '^src/cli/' },
      to: { path: '^src/(engine/(trading-engine|kernel|live-restore|store-recorder)\\.ts$|exchange/simulated/)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'trading-modes-open-no-store-or-account',
      severity: 'error',
      comment: 'backtest, demo, paper and live get the store, the account and the venue from their nodes (src/engine/nodes: the node opens and closes them; a test may hand a store in): the commands hold only types of src/store and src/exchange',
      from: { path: '^src/cli/commands/(backtest|demo|live|paper|live-session|live-market)\\.ts$' },
      to: { path: '^src/(store|exchange)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'live-market-data-through-the-node',
      severity: 'error',
      comment: "paper and live get the live feed from their node (it comes with the exchange's rules); backtest and demo read their recorded or generated input themselves",
      from: { path: '^src/cli/commands/(live|paper|live-session|live-market)\\.ts$' },
      to: { path: '^src/(market-data|net)/', dependencyTypesNot: ['type-only'] },
    },
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
