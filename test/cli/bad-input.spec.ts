/**
 * Every mistake a new user makes gets one clear line: the real CLI (bin/coinrx.js, as `npx coinrx`
 * runs it) is spawned for every command that reads data × each bad input, and for the commands that
 * reach the network or Redis with nothing listening. Each run must exit non-zero, say what was wrong
 * in one `coinrx <command>: …` line naming the bad thing, and print no stack frame.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/redis-server.js';

const BIN = new URL('../../bin/coinrx.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'coinrx-bad-input-'));

function candles(rows: number): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < rows; i++) lines.push(`${Date.UTC(2024, 0, 1) + i * 300_000},100,101,99,100,${10 + i}`);
  return `${lines.join('\n')}\n`;
}

const paths = {
  missing: join(dir, 'no-such-dir', 'BTC_USDT-5m.csv'),
  emptyFile: join(dir, 'BTC_USDT-5m.csv'),
  emptyDir: join(dir, 'empty'),
  truncated: join(dir, 'gz', 'ETH_USDT-5m.csv.gz'),
  unknown: join(dir, 'notes.dat'),
  good: join(dir, 'good', 'BTC_USDT-5m.csv'),
  binary: join(dir, 'garbage.csv'),
  notGzip: join(dir, 'fake', 'XRP_USDT-5m.csv.gz'),
};
writeFileSync(paths.binary, Buffer.from(Array.from({ length: 2_000 }, (_, i) => (i * 7919 + 13) % 256)));
mkdirSync(join(dir, 'fake'));
// Neither gzip nor text (a .gz holding plain text is read as that text).
writeFileSync(paths.notGzip, Buffer.from([0x00, 0x9f, 0x10, 0x42, 0x07, 0x00, 0x81, 0xfe]));
writeFileSync(paths.emptyFile, '');
mkdirSync(paths.emptyDir);
mkdirSync(join(dir, 'gz'));
const gz = gzipSync(candles(5_000));
writeFileSync(paths.truncated, gz.subarray(0, Math.floor(gz.length / 2)));
writeFileSync(paths.unknown, 'hello world\nthis is not market data\n');
mkdirSync(join(dir, 'good'));
writeFileSync(paths.good, candles(50));

interface Case {
  readonly input: string;
  readonly args: readonly string[];
  /** What the one line must name. */
  readonly names: RegExp;
  /** Commands that refuse the flag itself (ranker train reads no engine configuration and no --market/--format). */
  readonly refusedBy?: RegExp;
}

const INPUTS: readonly Case[] = [
  { input: 'a --data path that does not exist', args: ['--data', paths.missing], names: /no-such-dir.*no such file or directory/ },
  { input: 'an empty file', args: ['--data', paths.emptyFile], names: /BTC_USDT-5m\.csv: the file is empty/ },
  { input: 'an empty directory', args: ['--data', paths.emptyDir], names: /empty: the directory holds no data files/ },
  { input: 'a truncated gzip', args: ['--data', paths.truncated], names: /ETH_USDT-5m\.csv\.gz: .*(truncated|unexpected end)/i },
  { input: 'a text file of unknown format', args: ['--data', paths.unknown], names: /notes\.dat: cannot detect the format .*--format forces one/ },
  { input: 'binary content', args: ['--data', paths.binary], names: /garbage\.csv: cannot detect the format \(binary content, not text\)/ },
  { input: 'a .gz file that is not gzip', args: ['--data', paths.notGzip], names: /XRP_USDT-5m\.csv\.gz: not gzip data, or corrupt/ },
  { input: '--format bogus', args: ['--data', paths.good, '--format', 'bogus'], names: /--format bogus: unknown format; one of candles-csv/, refusedBy: /--format does not apply to ranker train/ },
  { input: '--market without a slash', args: ['--data', paths.good, '--market', 'BTCUSDT'], names: /--market: "BTCUSDT" is not a market.*did you mean BTC\/USDT\?/, refusedBy: /--market does not apply to ranker train/ },
  { input: 'a misspelled nested --set', args: ['--data', paths.good, '--set', 'allocation.maxPosition=3'], names: /allocation\.maxPosition: unknown field \(did you mean allocation\.maxPositions\?\)/, refusedBy: /--set does not apply to ranker train/ },
];

/** Every command that reads recorded data. */
const DATA_COMMANDS: readonly (readonly string[])[] = [['backtest'], ['demo'], ['features'], ['rank'], ['ranker', 'train'], ['agent', 'train']];

async function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(killer);
  return { code, stderr, stdout };
}

/** The error is one `coinrx <command>: …` line naming the bad thing; nothing looks like a stack trace. */
function expectOneLine(result: { code: number | null; stderr: string }, command: string, names: RegExp): void {
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.code, result.stderr).not.toBeNull();
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines.filter((l) => /^\s+at /.test(l) || /\.ts:\d+:\d+/.test(l)), result.stderr).toEqual([]);
  const errors = lines.filter((l) => l.startsWith(`coinrx ${command}:`) || l.startsWith('coinrx:'));
  expect(errors, result.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(names);
  // The error is the last thing said.
  expect(lines[lines.length - 1]).toBe(errors[0]);
}

describe('bad input: one line, no stack, non-zero exit (the real CLI)', { timeout: 120_000 }, () => {
  const table = DATA_COMMANDS.flatMap((command) => INPUTS.map((c) => [command.join(' '), c.input, command, c] as const));
  it.concurrent.each(table)('%s with %s', async (_name, _input, command, c) => {
    const extra = command[0] === 'backtest' || command[0] === 'demo' ? ['--out', join(dir, 'out', command.join('-'))] : command[0] === 'features' || command[0] === 'rank' ? ['--out', join(dir, `${command[0]}.jsonl`)] : command[0] === 'ranker' || command[0] === 'agent' ? ['--out', join(dir, `${command[0]}-models`)] : [];
    const names = command.join(' ') === 'ranker train' && c.refusedBy ? c.refusedBy : c.names;
    expectOneLine(await run([...command, ...c.args, ...extra]), command[0] as string, names);
  });

  it.concurrent('the commands without --data refuse a misspelled configuration field the same way', async () => {
    for (const command of [['paper'], ['live', '--live'], ['status'], ['monitor']]) {
      const result = await run([...command, '--set', 'strategy.takeprofit=0.5'], { REDIS_URL: 'redis://127.0.0.1:1' });
      expectOneLine(result, command[0] as string, /invalid configuration: strategy\.takeprofit: unknown field \(did you mean strategy\.takeProfit\?\)/);
    }
  });

  it.concurrent('data download with no network says which exchange it cannot reach', async () => {
    const port = await freePort();
    const result = await run(['data', 'download', '--since', '2024-01-01', '--markets', 'BTC,ETH', '--rest-url', `http://127.0.0.1:${port}`, '--out', join(dir, 'dl')]);
    expectOneLine(result, 'data', /cannot reach upbit \(.*ECONNREFUSED.*\); downloads need the exchange's REST API/);
  });

  it.concurrent('monitor against a dead Redis names the URL, counts its attempts, and --timeout ends it', async () => {
    const port = await freePort();
    const result = await run(['monitor', '--redis', `redis://127.0.0.1:${port}`, '--timeout', '2s']);
    expectOneLine(result, 'monitor', new RegExp(`cannot reach redis://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); gave up after \\d+ attempt\\(s\\) \\(--timeout 2 s\\)`));
    expect(result.stderr).toMatch(new RegExp(`^monitor: cannot reach redis://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); attempt 1, retrying in 1 s$`, 'm'));
  });

  it.concurrent('a folder of many files that are not market data: the line names five with why, and counts the rest', async () => {
    const folder = join(dir, 'not-data');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a-empty.csv'), '');
    for (let i = 0; i < 11; i++) writeFileSync(join(folder, `b-note${i}.dat`), `note ${i}\n`);
    const result = await run(['backtest', '--data', folder, '--out', join(dir, 'out', 'not-data')]);
    expectOneLine(result, 'backtest', /no market events in .*a-empty\.csv \(empty file\), .*b-note0\.dat \(unrecognised first line "note 0"\), .* and 7 more file\(s\)$/);
    expect(result.stderr.match(/b-note\d+\.dat/g)).toHaveLength(4);
  });

  it.concurrent('status and report with what does not exist', async () => {
    const port = await freePort();
    expectOneLine(await run(['status'], { REDIS_URL: `redis://127.0.0.1:${port}` }), 'status', new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port} does not answer \\(ECONNREFUSED\\)`));
    expectOneLine(await run(['report', join(dir, 'no-such-run')]), 'report', /no-such-run/);
    expectOneLine(await run(['backtest', '--data', paths.good, '--config', join(dir, 'nope.json')]), 'backtest', /nope\.json: cannot read \(ENOENT\)/);
    expectOneLine(await run(['backtest', '--data', paths.good, '--config', paths.unknown]), 'backtest', /notes\.dat: not valid JSON \(.*\)$/);
  });

  it.concurrent("ranker train and agent train name a bad setting of their own (--ranker-config, --rl) in one line", async () => {
    const ranker = ['ranker', 'train', '--data', paths.good, '--out', join(dir, 'ranker-settings')];
    expectOneLine(await run([...ranker, '--ranker-config', '{"train":{"modles":["mlp"]}}']), 'ranker', /invalid ranker configuration: train\.modles: unknown field \(did you mean train\.models\?\)$/);
    expectOneLine(await run([...ranker, '--ranker-config', '{"label":{"target":"high"}}']), 'ranker', /invalid ranker configuration: label\.target: Invalid input: expected number, received string$/);
    expectOneLine(await run([...ranker, '--ranker-config', join(dir, 'no-ranker.json')]), 'ranker', /--ranker-config .*no-ranker\.json: cannot read it \(ENOENT\)/);
    const agent = ['agent', 'train', '--data', paths.good, '--out', join(dir, 'agent-settings')];
    expectOneLine(await run([...agent, '--rl', 'agent.trainStep=3000']), 'agent', /--rl: agent\.trainStep: unknown field \(did you mean agent\.trainSteps\?\)/);
    expectOneLine(await run([...agent, '--rl', 'agent.trainSteps=many']), 'agent', /--rl: agent\.trainSteps: Invalid input: expected number, received string/);
  });

  it.concurrent('a misspelled option names the nearest one; a stray word is refused, not ignored', async () => {
    expectOneLine(await run(['backtest', '--data', paths.good, '--tiemrange', '20240101-']), 'backtest', /unknown option --tiemrange \(did you mean --timerange\?\)\. Run "coinrx backtest --help"\.$/);
    expectOneLine(await run(['features', '--data', paths.good, '--window', '1h']), 'features', /unknown option --window \(did you mean --windows\?\)/);
    expectOneLine(await run(['backtest', '--data', paths.good, '--bogus']), 'backtest', /unknown option --bogus\. Run "coinrx backtest --help"\.$/);
    // A second data file after another option's value would have been dropped without a word.
    expectOneLine(await run(['features', '--data', paths.good, '--every', '5m', paths.emptyFile]), 'features', /unexpected argument ".*BTC_USDT-5m\.csv": every value belongs to an option \(--data takes several/);
    expectOneLine(await run(['demo', 'extra']), 'demo', /unexpected argument "extra"/);
  });

  it.concurrent('an --out that cannot be written is refused at start, before any data is read', async () => {
    // paths.good is a file: nothing can be made under it.
    const blocked = join(paths.good, 'out');
    for (const [command, out] of [['backtest', blocked], ['demo', blocked], ['features', join(blocked, 'f.jsonl')], ['features', join(blocked, 'f.arrow')], ['rank', join(blocked, 'r.jsonl')]] as const) {
      const result = await run([command, ...(command === 'demo' ? ['--hours', '1', '--markets', '2'] : ['--data', paths.good]), '--out', out]);
      expectOneLine(result, command, new RegExp(`--out ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot make the folder .*BTC_USDT-5m\\.csv.* \\(a file is in the way\\)$`));
      expect(result.stderr, command).not.toMatch(/^read \d+ events|^span /m);
    }
    expectOneLine(await run(['rank', '--data', paths.good, '--out', paths.emptyDir]), 'rank', /--out .*empty: is a folder; name a file$/);
  });

  it.concurrent('features and rank --out into a folder that does not exist yet make it, as backtest does', async () => {
    for (const command of ['features', 'rank']) {
      const file = join(dir, `new-${command}`, 'sub', `${command}.jsonl`);
      const result = await run([command, '--data', paths.good, '--every', '5m', '--out', file]);
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(file, 'utf8').split('\n')[0], command).toMatch(/^\{"(market|ts)":/);
    }
  });

  it.concurrent('a strategy module with a syntax error names its file, line and column', async () => {
    // As in a checkout (package.json of type module), where tsx reports "Transform failed with 1 error:" first.
    const checkout = join(dir, 'checkout');
    mkdirSync(join(checkout, 'strategies'), { recursive: true });
    writeFileSync(join(checkout, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(checkout, 'strategies', 'mine.ts'), 'export function createStrategy() {\n  return 1 +;\n}\n');
    const result = await run(['backtest', '--data', paths.good, '--strategy', join(checkout, 'strategies', 'mine.ts'), '--out', join(dir, 'out', 'syntax')]);
    // expectOneLine would take the file:line:col for a stack frame: the same checks by hand.
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines.filter((l) => /^\s+at /.test(l)), result.stderr).toEqual([]);
    expect(lines.filter((l) => l.startsWith('coinrx backtest:')), result.stderr).toHaveLength(1);
    expect(lines[lines.length - 1]).toMatch(/^coinrx backtest: --strategy .*mine\.ts: cannot load the module: .*strategies\/mine\.ts:2:12: ERROR: Unexpected ";"$/);
  });

  it.concurrent('output piped into a reader that stops early (| head) ends quietly, not with a write error', async () => {
    const many = join(dir, 'many', 'BTC_USDT-5m.csv');
    mkdirSync(join(dir, 'many'));
    writeFileSync(many, candles(5_000));
    const child = spawn(process.execPath, [BIN, 'features', '--data', many, '--every', '5m'], { cwd: dir, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let read = 0;
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // As `head -c 100` does: take the first bytes, then close the pipe while the command still writes (5,000 lines).
    child.stdout.once('data', (b: Buffer) => {
      read = b.length;
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(read).toBeGreaterThan(0);
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    expect(code, stderr).toBe(0);
  });

  it('agent without --config, run from another folder, uses the candle profile shipped with coinrx and says which', async () => {
    const shipped = new URL('../../config/backtest-candles.json', import.meta.url).pathname;
    const result = await run(['agent', 'train', '--data', join(dir, 'no-such-data')]);
    expect(result.stderr).toContain(`agent: engine profile ${shipped} (--config to choose another)\n`);
    expectOneLine(result, 'agent', /no-such-data: no such file or directory/);
  });

  it('the README example of a bad value prints what the README says', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const shown = /\$ npx coinrx backtest --data d --set strategy\.takeProfit=abc\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBeDefined();
    mkdirSync(join(dir, 'd'), { recursive: true });
    const result = await run(['backtest', '--data', 'd', '--set', 'strategy.takeProfit=abc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(shown);
  });
});
