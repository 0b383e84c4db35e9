// Preloaded by bench/startup.ts into `coinrx backtest` (node --import): prints the wall-clock time (epoch
// ms) at which the first data reaches the engine's thread: the first chunk of a data file read there, or,
// when a reader thread reads the files (inputs of 4 MB or more; a preload does not run in a worker), its
// first message, the first batch of parsed events — the later moment, so the figure is not flattered.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

let told = false;
const tell = () => {
  if (told) return;
  told = true;
  process.stderr.write(`first-data-at ${Date.now()}\n`);
};

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
