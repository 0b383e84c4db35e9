import { basename } from 'node:path';
import { detectFormat, type ReplayFormat } from './formats.js';
import { splitLines } from './record-splitter.js';
import { readTextChunks } from './text-source.js';

/** Which records of a multi-market file one lane reads: its own prefix, plus, for the first lane, any line no lane claims. */
export interface Lane {
  readonly own: string;
  readonly others: readonly string[];
  readonly first: boolean;
}

export function laneTakes(lane: Lane, record: string): boolean {
  if (record.startsWith(lane.own)) return true;
  if (!lane.first) return false;
  for (const p of lane.others) if (record.startsWith(p)) return false;
  return true; // headers and garbage lines go to the first lane, so they are counted once
}

/** The file's format from its name and first chunk (the file is opened only for that chunk). */
export async function detectFileFormat(file: string): Promise<ReplayFormat | { reason: string } | undefined> {
  const chunks = readTextChunks(file)[Symbol.asyncIterator]();
  try {
    const first = await chunks.next();
    return first.done === true ? undefined : detectFormat(basename(file), first.value);
  } finally {
    await chunks.return?.(undefined);
  }
}

/**
 * The Binance trades extract stores markets in blocks (all spot BTCUSDT, then spot ETHUSDT...), each
 * in time order. Merging needs each market as its own time-ordered source, so a first pass lists the
 * `market,symbol,` prefixes and the file is then read once per market: streaming, at the cost of
 * decompressing the file once more per market.
 */
export async function binanceTradeLanes(file: string): Promise<Lane[]> {
  const prefixes: string[] = [];
  const seen = new Set<string>();
  for await (const batch of splitLines(readTextChunks(file))) {
    for (const line of batch) {
      const c1 = line.indexOf(',');
      const c2 = line.indexOf(',', c1 + 1);
      if (c1 <= 0 || c2 <= c1 + 1) continue;
      const prefix = line.slice(0, c2 + 1);
      if (seen.has(prefix) || prefix === 'market,symbol,' || line.split(',').length < 9) continue;
      seen.add(prefix);
      prefixes.push(prefix);
    }
  }
  return prefixes.map((own, i) => ({ own, others: prefixes.filter((p) => p !== own), first: i === 0 }));
}
