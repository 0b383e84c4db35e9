export * from './strategy.js';
export * from './strategy-context.js';
export * from './triple-barrier.js';
export * from './position-view.js';
