export * from './market.js';
export * from './windows.js';
export * from './features.js';
export * from './orders.js';
export * from './decisions.js';
export * from './clock.js';
export * from './exchange.js';
export * from './random.js';
