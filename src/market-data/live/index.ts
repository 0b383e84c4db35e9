export * from './market-feed.js';
export * from './feed-connection.js';
export * from './trade-sequencer.js';
export * from './upbit-market-feed.js';
export * from './ccxt-market-feed.js';
