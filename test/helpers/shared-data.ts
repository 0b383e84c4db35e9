import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared/data` beside the checkout. Present in CI, absent on a user's fresh clone. */
export const SHARED_DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');

export const hasSharedData = existsSync(SHARED_DATA_DIR);

/**
 * True when tests on the shared data must be skipped: the data is missing and we are not in CI.
 * In CI a missing data folder is an error, not a skip.
 */
export function skipWithoutSharedData(): boolean {
  if (hasSharedData) return false;
  if (process.env['CI'] === 'true') throw new Error(`CI=true but ${SHARED_DATA_DIR} is missing`);
  return true;
}

export function sharedData(...parts: string[]): string {
  return join(SHARED_DATA_DIR, ...parts);
}
