import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether `tree`'s build (dist/) holds its code: the stamp `npm run build` writes is newer than every
 * TypeScript source, the rule bin/coinrx.js applies before it runs dist/ instead of the TypeScript.
 */
export function buildIsCurrent(tree: string): boolean {
  const stamp = join(tree, 'dist/.build-stamp');
  if (!existsSync(stamp) || !statSync(stamp).isFile()) return false;
  const newer = execFileSync('find', ['src', 'streams', 'machines', 'strategies', '-newer', stamp, '-name', '*.ts'], { cwd: tree, encoding: 'utf8' });
  return newer.trim() === '';
}
