export * from './strategy.js';
export * from './strategy-context.js';
export * from './triple-barrier.js';
export * from './edge-gate.js';
export * from './risk-on.js';
export * from './exit-rule.js';
export * from './bid-peaks.js';
