/**
 * What other rooms (ML, reports) may use of the engine: the market pipeline, the backtest builder, the
 * position view strategies see, and the engine's type. Its insides (order routing, restore, recorders) stay behind this door; the dependency
 * rules (`.dependency-cruiser.cjs`) keep it so.
 */
export { marketPipeline, type MarketPipeline } from './market-pipeline.js';
export { configuredStrategy, createBacktest, quoteOf, type BacktestRun } from './backtest.js';
export { positionIdOf, type TradingEngine } from './trading-engine.js';
export { positionView } from './position-view.js';
export { createKernel, type Kernel, type KernelOptions, type StartReport, type StrategyFactory } from './kernel.js';
// The RL environment trades through the same parts as the engine (issue 15: no copy of them in src/ml).
export { Portfolio } from './portfolio.js';
export { orderRouter, type OrderEffects, type RouterHost } from './order-router.js';
export { entryDenial, exitEvent, exitPrice, sizeEntries } from './risk.js';
export { buysDrained } from './buys-drained.js';
export { cancelOpenBuys, liquidateHoldings } from './stop-orders.js';
