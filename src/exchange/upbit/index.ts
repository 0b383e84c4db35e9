export * from './trade-sequencer.js';
export * from './upbit-quotation.js';
export * from './upbit-market-feed.js';
