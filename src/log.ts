import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach a log line. pino's redact paths need one entry per depth, so the
 * common nestings are listed: secrets arrive as config (`exchange.apiKey`), as ccxt options
 * (`options.secret`), and inside HTTP headers (`headers.authorization`).
 */
export const REDACT_PATHS: readonly string[] = (() => {
  const keys = ['apiKey', 'secret', 'secretKey', 'accessKey', 'password', 'authorization', 'Authorization', 'token'];
  const prefixes = ['', '*.', '*.*.', '*.*.*.'];
  return prefixes.flatMap((p) => keys.map((k) => `${p}${k}`));
})();

export interface LogOptions {
  readonly level?: string;
  /** Pretty, human output. Defaults to true only when stdout is a TTY. */
  readonly pretty?: boolean;
  /** Where JSON lines go; defaults to stdout. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  const base: LoggerOptions = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    base: { app: 'coinrx' },
  };
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
