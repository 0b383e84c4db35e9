export * from './tick-math.js';
export * from './upbit-rules.js';
export * from './market-rules.js';
export * from './simulated/fill-model.js';
export * from './simulated/simulated-exchange.js';
export * from './simulated/simulated-venue.js';
export { fiveDigitTick, inferredRulesSource, type InferredRules } from './inferred-rules.js';
