import { crc32, deflateRawSync } from 'node:zlib';

/** A file of a zip archive made for a test. */
export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer | string;
}

/**
 * A zip archive of `entries` as a zip writer lays it out (local header and data for each, then the central
 * directory and its end record): deflated (method 8) or stored (0); with `streamed`, each member's sizes and
 * CRC follow its data in a data descriptor (flag bit 3), zero in its local header, as a writer that cannot
 * seek writes them.
 */
export function zipArchive(entries: readonly ZipEntry[], options: { method?: 0 | 8; streamed?: boolean } = {}): Buffer {
  const method = options.method ?? 8;
  const streamed = options.streamed === true;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data);
    const stored = method === 8 ? deflateRawSync(data) : data;
    const crc = crc32(data);
    const name = Buffer.from(entry.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(streamed ? 8 : 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(streamed ? 0 : crc, 14);
    local.writeUInt32LE(streamed ? 0 : stored.length, 18);
    local.writeUInt32LE(streamed ? 0 : data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const descriptor = Buffer.alloc(streamed ? 16 : 0);
    if (streamed) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(stored.length, 8);
      descriptor.writeUInt32LE(data.length, 12);
    }
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(streamed ? 8 : 0, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(stored.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    parts.push(local, name, stored, descriptor);
    offset += local.length + name.length + stored.length + descriptor.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}
