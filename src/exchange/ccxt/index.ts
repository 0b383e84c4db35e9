export * from './rate-limiter.js';
export * from './order-tracker.js';
export * from './upbit-order.js';
export * from './upbit-errors.js';
export * from './ccxt-exchange.js';
export * from './live-account.js';
