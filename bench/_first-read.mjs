// Preloaded by bench/startup.ts into `coinrx backtest` (node --import): prints the wall-clock time (epoch
// ms) at which the first chunk of a data file reaches the reader, the moment its first event is parsed.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const createReadStream = fs.createReadStream;
let told = false;
fs.createReadStream = function (...args) {
  const stream = createReadStream.apply(this, args);
  if (!told) stream.once('data', () => {
    if (told) return;
    told = true;
    process.stderr.write(`first-data-at ${Date.now()}\n`);
  });
  return stream;
};
syncBuiltinESMExports();
