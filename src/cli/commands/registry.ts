import type { Command } from '../command.js';

/** A command by name, its module imported only when it runs: `coinrx backtest` never loads ccxt or tfjs. */
export interface CommandEntry {
  readonly name: string;
  load(): Promise<Command>;
}

/** Every command in help order. Adding one: a line here (COMMANDS and the help follow). */
export const COMMAND_ENTRIES: readonly CommandEntry[] = [
  { name: 'paper', load: async () => (await import('./paper.js')).paperCommand },
  { name: 'live', load: async () => (await import('./live.js')).liveCommand },
  { name: 'demo', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'backtest', load: async () => (await import('./backtest.js')).backtestCommand },
  { name: 'new-strategy', load: async () => (await import('./new-strategy.js')).newStrategyCommand },
  { name: 'features', load: async () => (await import('./features.js')).featuresCommand },
  { name: 'rank', load: async () => (await import('./rank.js')).rankCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'monitor', load: async () => (await import('./monitor.js')).monitorCommand },
  { name: 'report', load: async () => (await import('./report.js')).reportCommand },
  { name: 'ranker', load: async () => (await import('./ranker.js')).rankerCommand },
  { name: 'agent', load: async () => (await import('./agent.js')).agentCommand },
  { name: 'data', load: async () => (await import('./data.js')).dataCommand },
  { name: 'optimize', load: async () => (await import('./optimize.js')).optimizeCommand },
  { name: 'worker', load: async () => (await import('./worker.js')).workerCommand },
];
