import { open } from 'node:fs/promises';
import { constants, gunzipSync, inflateRawSync } from 'node:zlib';
import { isZipHead, zipMember } from '../market-data/zip-member.js';

const SAMPLE_BYTES = 64 * 1024;

/**
 * About how many records (lines) a data file holds, without reading it: its uncompressed size (a gzip
 * file's last four bytes hold it, modulo 4 GiB; a zip member's header) over the mean line length of its first 64 KiB.
 * Undefined for a file that is not line by line (a JSON array on one line).
 */
export async function estimateRecords(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return 0;
    const head = Buffer.alloc(Math.min(size, SAMPLE_BYTES));
    await handle.read(head, 0, head.length, 0);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    let total = size;
    let sample = head;
    if (isZipHead(head)) {
      // A zip of one file (Binance's public data): its header says the inflated size, unless written as a stream.
      const member = await zipMember(handle);
      if (member.size === undefined) return undefined;
      total = member.size;
      const stored = head.subarray(member.start);
      sample = member.method === 0 ? stored : inflateRawSync(stored, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, SAMPLE_BYTES);
    } else if (gzip) {
      const tail = Buffer.alloc(4);
      await handle.read(tail, 0, 4, size - 4);
      total = tail.readUInt32LE(0);
      // A partial gzip stream inflates as far as it goes with a sync flush instead of failing.
      sample = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, SAMPLE_BYTES);
    }
    let lines = 0;
    for (let i = sample.indexOf(10); i !== -1; i = sample.indexOf(10, i + 1)) lines++;
    if (lines < 8) return undefined;
    const lastNewline = sample.lastIndexOf(10) + 1;
    return Math.round((total * lines) / lastNewline);
  } finally {
    await handle.close();
  }
}
