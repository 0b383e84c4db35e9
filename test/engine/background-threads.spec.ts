/**
 * `paper` lowers the priority of every thread of its process but the main one once it trades
 * (src/engine/background-threads.ts): checked in a child process of its own, by the nice value the kernel
 * reports for each of its threads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { yieldBackgroundThreads } from '../../src/engine/background-threads.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
const linux = existsSync('/proc/self/task');

/** In a fresh Node process: yieldBackgroundThreads(nice), then every thread's nice value (main first). */
function niceValuesAfter(nice: number): { changed: number; main: number; others: number[] } {
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    import { yieldBackgroundThreads } from ${JSON.stringify(join(root, 'src/engine/background-threads.ts'))};
    const niceOf = (tid) => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
    const changed = yieldBackgroundThreads(${nice});
    const others = readdirSync('/proc/self/task').map(Number).filter((t) => t !== process.pid).map(niceOf);
    process.stdout.write(JSON.stringify({ changed, main: niceOf(process.pid), others }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })) as { changed: number; main: number; others: number[] };
}

describe('background threads', () => {
  it.skipIf(!linux && process.env['CI'] !== 'true')('every thread but the main one gets the nice value; the main thread keeps its own', () => {
    const after = niceValuesAfter(19);
    expect(after.others.length).toBeGreaterThan(0);
    expect(after.changed).toBe(after.others.length);
    expect(after.others.every((n) => n === 19)).toBe(true);
    expect(after.main).toBe(0);
    const untouched = niceValuesAfter(0);
    expect(untouched.changed).toBe(0);
    expect(untouched.others.every((n) => n === 0)).toBe(true);
  });

  it('is off at nice 0, and configured by bot.backgroundNice or COINRX_BACKGROUND_NICE', () => {
    expect(yieldBackgroundThreads(0)).toBe(0);
    expect(loadConfig().bot.backgroundNice).toBe(19);
    expect(loadConfig({ env: { COINRX_BACKGROUND_NICE: '0' } }).bot.backgroundNice).toBe(0);
    expect(loadConfig({ env: { COINRX_BACKGROUND_NICE: '10' }, set: ['bot.backgroundNice=5'] }).bot.backgroundNice).toBe(5);
    expect(() => loadConfig({ env: { COINRX_BACKGROUND_NICE: 'low' } })).toThrow(/bot\.backgroundNice \(from COINRX_BACKGROUND_NICE\)/);
    expect(() => loadConfig({ env: { COINRX_BACKGROUND_NICE: '25' } })).toThrow(/bot\.backgroundNice \(from COINRX_BACKGROUND_NICE\)/);
  });
});
