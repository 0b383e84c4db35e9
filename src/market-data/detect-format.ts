import { basename } from 'node:path';
import { textChunks } from './line-batches.js';

export const FORMATS = ['candles-csv', 'candles-json', 'trades-csv', 'trades-json', 'upbit-ws', 'binance-ws'] as const;
export type FormatName = (typeof FORMATS)[number];

/**
 * Decides a file's format from its first 4 KB (after gunzip) and, for captures, its name:
 * `[[` opens freqtrade JSON (6 numbers a record: candles; 7 with a side: trades); a CSV header naming
 * open/high/low/close is candles, one naming price is trades; a frame with Upbit's fields
 * (`ty`/`cd` or `type`/`code`) or a name with "upbit" is an Upbit capture; `"stream":`, `"e":` or
 * `lastUpdateId` is a Binance capture.
 */
export async function detectFormat(path: string): Promise<FormatName> {
  let head = '';
  for await (const chunk of textChunks(path)) {
    head += chunk;
    if (head.length >= 4096) break;
  }
  const text = head.trimStart();
  const firstLine = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length).toLowerCase();
  if (/^\[\s*\[/.test(text)) {
    const record = /^\[\s*\[([^\]]*)\]/.exec(text)?.[1] ?? '';
    return record.split(',').length >= 7 || /"(buy|sell)"/.test(record) ? 'trades-json' : 'candles-json';
  }
  if (/(^|,)\s*open\s*(,|$)/.test(firstLine) && /(^|,)\s*close\s*(,|$)/.test(firstLine)) return 'candles-csv';
  if (/(^|,)\s*price\s*(,|$)/.test(firstLine)) return 'trades-csv';
  const name = basename(path).toLowerCase();
  if (name.includes('upbit') || /"(ty|cd)":|"code":"[A-Z]+-/.test(text)) return 'upbit-ws';
  if (name.includes('binance') || /"stream":|"e":"|lastUpdateId/.test(text)) return 'binance-ws';
  throw new Error(`${path}: unknown data format (first line: ${JSON.stringify(firstLine.slice(0, 120))}); pass --format ${FORMATS.join('|')}`);
}
