export * from './position-logic.js';
export * from './position-machine.js';
export * from './bot-machine.js';
export * from './connection-machine.js';
