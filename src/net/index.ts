export * from './retry.js';
export * from './rate-limiter.js';
export * from './upbit-quotation.js';
