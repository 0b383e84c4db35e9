import type { FileHandle } from 'node:fs/promises';

/**
 * The one file of a zip archive, as Binance publishes its data (data.binance.vision: `BTCUSDT-trades-2024-08-08.zip`
 * holds `BTCUSDT-trades-2024-08-08.csv`): where its stored bytes start, how they are compressed, and their sizes.
 * Read from the archive's first local header and its end record, so the member streams from the start like a gzip
 * file (a deflate stream ends by itself; what follows it, the directory, is never read as data).
 */
export interface ZipMember {
  readonly name: string;
  /** Offset of the member's stored bytes in the archive. */
  readonly start: number;
  /** 8: deflate; 0: stored (`storedSize` bytes as they are). */
  readonly method: 0 | 8;
  readonly storedSize: number;
  /** Its size once inflated; undefined when the archive does not say (it was written as a stream). */
  readonly size: number | undefined;
}

const LOCAL_HEADER = 0x04034b50;
const END_RECORD = 0x06054b50;
/** The end record is 22 bytes, after which a comment of up to 65,535 bytes may follow. */
const END_SEARCH = 22 + 65_535;

/** True for the first bytes of a zip archive (`PK\3\4`). */
export function isZipHead(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === LOCAL_HEADER;
}

/** The archive's one member, or an Error saying why it cannot be read as one (the caller names the file). */
export async function zipMember(handle: FileHandle): Promise<ZipMember> {
  const { size: fileSize } = await handle.stat();
  const local = Buffer.alloc(30);
  const { bytesRead } = await handle.read(local, 0, 30, 0);
  if (bytesRead < 30 || !isZipHead(local)) throw new Error('not a zip archive');
  const flags = local.readUInt16LE(6);
  const method = local.readUInt16LE(8);
  const nameLength = local.readUInt16LE(26);
  const start = 30 + nameLength + local.readUInt16LE(28);
  const nameBytes = Buffer.alloc(nameLength);
  await handle.read(nameBytes, 0, nameLength, 30);
  const name = nameBytes.toString('utf8');
  const tailLength = Math.min(fileSize, END_SEARCH);
  const tail = Buffer.alloc(tailLength);
  await handle.read(tail, 0, tailLength, fileSize - tailLength);
  let end = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_RECORD) {
      end = i;
      break;
    }
  }
  // No end record: the archive was cut short. Its member still streams up to the cut (a truncated read then).
  if (end >= 0) {
    const entries = tail.readUInt16LE(end + 10);
    if (entries > 1) throw new Error(`a zip archive of ${entries} files: coinrx reads a zip that holds one file; unzip it`);
  }
  if (method !== 0 && method !== 8) throw new Error(`a zip archive compressed with method ${method}: coinrx reads deflate or stored members; unzip it`);
  // Bit 3: the sizes follow the data (written as a stream); the directory has them, but only deflate needs none.
  const sizesAfter = (flags & 8) !== 0;
  if (method === 0 && sizesAfter) throw new Error('a stored zip member written as a stream (no size in its header): unzip it');
  return { name, start, method, storedSize: local.readUInt32LE(18), size: sizesAfter ? undefined : local.readUInt32LE(22) };
}
