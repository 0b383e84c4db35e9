import { formatFlags, parseArgs, UnknownFlagError, UsageError } from './args.js';
import { describeCommands, readManifest, type CommandInfo } from './command-manifest.js';
import type { CommandIo } from './command.js';
import { InputError } from '../core/input-error.js';
import { COMMAND_ENTRIES } from './commands/registry.js';

/** Help from the build's manifest, else from the commands themselves (slower: it loads every one). */
async function commandInfos(): Promise<readonly CommandInfo[]> {
  return readManifest() ?? describeCommands(await Promise.all(COMMAND_ENTRIES.map((entry) => entry.load())));
}

export function helpText(commands: readonly CommandInfo[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'coinrx — reactive crypto auto-trading engine (Upbit KRW first, any ccxt exchange next)',
    '',
    'Usage: coinrx <command> [options]      coinrx <command> --help',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Examples:',
    ...commands.flatMap((c) => c.examples.slice(0, 1).map((e) => `  ${e}`)),
    '',
  ].join('\n');
}

export function commandHelp(command: CommandInfo): string {
  return [
    `coinrx ${command.name} — ${command.summary}`,
    '',
    'Options:',
    formatFlags(command.flags),
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/** The commands that read words besides options: a subcommand or action, a name, a folder. */
const OPERAND_COMMANDS: ReadonlySet<string> = new Set(['agent', 'data', 'new-strategy', 'ranker', 'report']);

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const infos = await commandInfos();
    const topic = infos.find((c) => c.name === rest[0]);
    io.stdout.write(topic ? commandHelp(topic) : helpText(infos));
    return 0;
  }
  const entry = COMMAND_ENTRIES.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`coinrx: unknown command "${name}". Run "coinrx --help" for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandHelp(readManifest()?.find((c) => c.name === name) ?? (await entry.load())));
    return 0;
  }
  const command = await entry.load();
  let stdoutClosed = false;
  io.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stdoutClosed = true;
  });
  try {
    const args = parseArgs(rest, command.flags);
    // A word no option takes would be silently ignored (`--every 5m b.csv` meaning a second data file).
    const extra = OPERAND_COMMANDS.has(command.name) ? undefined : args.positionals[0];
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}": every value belongs to an option (--data takes several: --data a.csv b.csv)`);
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const near = error instanceof UnknownFlagError ? (await import('../config.js')).nearestKey(error.flag, error.known) : undefined;
      io.stderr.write(`coinrx ${command.name}: ${error.message}${near ? ` (did you mean --${near}?)` : ''}. Run "coinrx ${command.name} --help".\n`);
      return 2;
    }
    // Imported here: the configuration (zod) is not needed for help.
    const { ConfigError } = await import('../config.js');
    if (error instanceof ConfigError) {
      io.stderr.write(`coinrx ${command.name}: ${oneLine(error.message)}\n`);
      return 2;
    }
    if (error instanceof InputError) {
      // A file that breaks part-way (truncated gzip): said how to use what it holds, where the command can.
      // By name and field, not instanceof: importing the reader's error class here would load it for --help.
      const partWay = error.name === 'ReplayFileError' && (error as InputError & { partWay?: boolean }).partWay === true;
      const skip = partWay && 'skip-broken-files' in command.flags ? '; --skip-broken-files uses the file up to its fault and goes on' : '';
      io.stderr.write(`coinrx ${command.name}: ${oneLine(error.message)}${skip}\n`);
      return 1;
    }
    // Whoever read stdout went away (`coinrx rank … | head`): it has what it wanted; stop quietly, as
    // `git log | head` does, instead of reporting a write error.
    if (stdoutClosed) return 0;
    // Ctrl-C (SIGINT, SIGTERM) stopping a step that ends by throwing (ranker and agent training): the
    // user's own stop, said as such with the shell's 130, not as a failure with a debug hint.
    if (io.signal.aborted) {
      io.stderr.write(`coinrx ${command.name}: stopped (Ctrl-C): ${error instanceof Error ? oneLine(error.message) : String(error)}\n`);
      return 130;
    }
    // Anything else is a failure of ours or of the machine: one line, the stack only when asked for.
    const debug = /^(debug|trace)$/i.test(io.env['LOG_LEVEL'] ?? '');
    const text = error instanceof Error ? (debug ? (error.stack ?? error.message) : oneLine(error.message)) : String(error);
    io.stderr.write(`coinrx ${command.name}: ${text}${debug ? '' : ' (LOG_LEVEL=debug shows where)'}\n`);
    return 1;
  }
}

const isEntry = process.argv[1] !== undefined && /(?:main\.ts|coinrx(?:\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // ccxt's websocket layer can drop a rejected send (a socket closed while it subscribes). A trading
  // process must not die of that with positions open: say it on stderr and go on; anything else is a bug
  // and still ends the process.
  process.on('unhandledRejection', (reason) => {
    const text = reason instanceof Error ? `${reason.message}\n${reason.stack ?? ''}` : String(reason);
    if (/node_modules[\\/]ccxt[\\/]/.test(text)) {
      process.stderr.write(`coinrx: ccxt left a rejected promise unhandled (${reason instanceof Error ? reason.message : String(reason)}); continuing\n`);
      return;
    }
    throw reason;
  });
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    interactive: process.stderr.isTTY === true,
    env: process.env,
    signal: controller.signal,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`coinrx: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
