export * from './strategy.js';
export * from './triple-barrier.js';
export * from './position-view.js';
