// Preloaded by bench/startup.ts into `coinrx backtest` (node --import): prints the wall-clock time (epoch
// ms) at which the first data reaches the engine. With FIRST_DATA_MARK=1 (a tree whose replay marks it,
// src/market-data/replay.ts FIRST_BATCH_MARK): the read handing its first batch to the engine. Trees
// before that mark: the first chunk of a data file read in the engine's thread, or, when a reader thread
// reads the files (inputs of 4 MB or more; a preload does not run in a worker), its first message — the
// same moment there, as those trees start the read once the engine is loaded and wait for it. A tree
// that starts reading before its engine has loaded gets that message early, hence the mark.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

let told = false;
const tell = () => {
  if (told) return;
  told = true;
  process.stderr.write(`first-data-at ${Date.now()}\n`);
};

if (process.env.FIRST_DATA_MARK === '1') {
  const mark = performance.mark;
  performance.mark = function (name, ...rest) {
    if (name === 'coinrx:first-batch') tell();
    return mark.call(this, name, ...rest);
  };
} else {
  const createReadStream = fs.createReadStream;
  fs.createReadStream = function (...args) {
    const stream = createReadStream.apply(this, args);
    if (!told) stream.once('data', tell);
    return stream;
  };
  const Worker = workerThreads.Worker;
  workerThreads.Worker = class extends Worker {
    constructor(...args) {
      super(...args);
      this.once('message', tell);
    }
  };
  syncBuiltinESMExports();
}
