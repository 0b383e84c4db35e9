export { openReplay, readAll, expandPaths, type ReplayOptions, type ReplaySource, type ReplayStats } from './replay.js';
export { toObservable } from './replay-observable.js';
export type { FileStats, MalformedInfo } from './file-stats.js';
export { REPLAY_FORMATS, detectFormat, type ReplayFormat } from './formats.js';
export { ReplayFileError } from './text-source.js';
export { splitExchangeSymbol, upbitMarket, hintsFromFileName, parseMarketName, parseQuoteName } from './symbols.js';
export { batched } from './batched.js';
