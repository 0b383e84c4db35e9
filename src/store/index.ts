export * from './store.js';
export * from './channels.js';
export * from './event-id.js';
export * from './redact-url.js';
export * from './memory-store.js';
export * from './redis-store.js';
export * from './create-store.js';
export * from './wait-healthy.js';
