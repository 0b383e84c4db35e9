import type { MarketEvent } from '../../src/core/index.js';
import { openReplay, type MalformedInfo } from '../../src/market-data/index.js';

/** Every event a replay of `file` gives, in the caller's thread or the reader thread, with its warnings and malformed count. */
export async function readReplay(file: string, readerThread: boolean): Promise<{ events: MarketEvent[]; infos: MalformedInfo[]; malformed: number }> {
  const infos: MalformedInfo[] = [];
  const source = openReplay([file], { readerThread, onMalformed: (i) => infos.push(i) });
  const events: MarketEvent[] = [];
  for await (const batch of source.batches()) events.push(...batch);
  return { events, infos, malformed: source.stats().malformed };
}
