export * from './strategy.js';
export * from './triple-barrier.js';
