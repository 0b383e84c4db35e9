import { ConfigError } from '../config.js';
import { formatFlags, parseArgs, UsageError } from './args.js';
import type { Command, CommandIo } from './command.js';
import { COMMANDS } from './commands/index.js';

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'coinrx — reactive crypto auto-trading engine (Upbit KRW first, any ccxt exchange next)',
    '',
    'Usage: coinrx <command> [options]      coinrx <command> --help',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Examples:',
    ...COMMANDS.flatMap((c) => c.examples.slice(0, 1).map((e) => `  ${e}`)),
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
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

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = COMMANDS.find((c) => c.name === rest[0]);
    io.stdout.write(topic ? commandHelp(topic) : helpText());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`coinrx: unknown command "${name}". Run "coinrx --help" for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(parseArgs(rest, command.flags), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`coinrx ${command.name}: ${error.message}. Run "coinrx ${command.name} --help".\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`coinrx ${command.name}: ${error.message}\n`);
      return 2;
    }
    throw error;
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
