import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeCommands } from '../../src/cli/command-manifest.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { COMMAND_ENTRIES } from '../../src/cli/commands/registry.js';
import { commandHelp, helpText, main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the CLI loads only the command it runs', () => {
  it('each registry entry loads the command of its name, in help order', async () => {
    for (const entry of COMMAND_ENTRIES) expect((await entry.load()).name).toBe(entry.name);
    expect(COMMANDS.map((c) => c.name)).toEqual(COMMAND_ENTRIES.map((e) => e.name));
  });

  it('help from the build manifest (JSON) reads the same as from the loaded commands', async () => {
    const manifest = JSON.parse(JSON.stringify(describeCommands(COMMANDS))) as ReturnType<typeof describeCommands>;
    expect(helpText(manifest)).toBe(helpText(COMMANDS));
    for (const [i, c] of COMMANDS.entries()) expect(commandHelp(manifest[i] as (typeof manifest)[number])).toBe(commandHelp(c));
    const { io, out } = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(out()).toBe(helpText(COMMANDS));
    const one = captureIo();
    expect(await main(['backtest', '--help'], one.io)).toBe(0);
    expect(one.out()).toContain('--checkpoint-every <events>');
  });
});

describe('bin/coinrx.js', () => {
  /** A tree with bin/coinrx.js, a "compiled" main that says dist and a TypeScript one that says source. */
  function tree(): { dir: string; run: (env?: NodeJS.ProcessEnv) => string; stamp: (at: number) => void; touchSource: (at: number) => void } {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-bin-'));
    for (const d of ['bin', 'src/cli', 'streams', 'machines', 'strategies', 'dist/src/cli']) mkdirSync(join(dir, d), { recursive: true });
    copyFileSync(join(root, 'bin/coinrx.js'), join(dir, 'bin/coinrx.js'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(dir, 'src/cli/main.ts'), "const from: string = 'source';\nconsole.log(from);\n");
    writeFileSync(join(dir, 'dist/src/cli/main.js'), "console.log('dist');\n");
    const stamp = (at: number): void => {
      writeFileSync(join(dir, 'dist/.build-stamp'), 'x\n');
      utimesSync(join(dir, 'dist/.build-stamp'), at, at);
    };
    const touchSource = (at: number): void => utimesSync(join(dir, 'src/cli/main.ts'), at, at);
    const run = (env: NodeJS.ProcessEnv = {}): string => execFileSync(process.execPath, [join(dir, 'bin/coinrx.js')], { encoding: 'utf8', env: { ...process.env, COINRX_FROM_SOURCE: '', ...env } }).trim();
    return { dir, run, stamp, touchSource };
  }

  it('runs the build while no source is newer, the TypeScript otherwise or when asked', () => {
    const t = tree();
    const now = Date.now() / 1000;
    expect(t.run()).toBe('source'); // no stamp: never built
    t.touchSource(now - 100);
    t.stamp(now - 50);
    expect(t.run()).toBe('dist');
    expect(t.run({ COINRX_FROM_SOURCE: '1' })).toBe('source');
    t.touchSource(now - 10); // edited after the build
    expect(t.run()).toBe('source');
    // The dashboard page's assets count though they are not TypeScript; other files do not.
    t.stamp(now - 5);
    expect(t.run()).toBe('dist');
    mkdirSync(join(t.dir, 'src/report/page'), { recursive: true });
    writeFileSync(join(t.dir, 'src/notes.md'), 'x\n');
    utimesSync(join(t.dir, 'src/notes.md'), now, now);
    expect(t.run()).toBe('dist');
    writeFileSync(join(t.dir, 'src/report/page/app.css'), 'x\n');
    utimesSync(join(t.dir, 'src/report/page/app.css'), now, now);
    expect(t.run()).toBe('source');
  });
});
