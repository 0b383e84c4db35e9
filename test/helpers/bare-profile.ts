import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let file: string | undefined;

/**
 * A profile file of `{}`: `paper` and `live` on the schema's defaults (quick exits, no entry gate), which
 * trade within the seconds a test runs; without --config they trade config/default.json, whose gate
 * waits for 20 closed paper trades.
 */
export function bareProfile(): string {
  if (file === undefined) {
    file = join(mkdtempSync(join(tmpdir(), 'coinrx-bare-profile-')), 'bare.json');
    writeFileSync(file, '{}\n');
  }
  return file;
}
