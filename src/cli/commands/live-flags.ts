import { UPBIT_REST_URL, UPBIT_WS_URL } from '../../exchange/upbit/upbit-quotation.js';
import { UsageError, type FlagSpecs, type ParsedArgs } from '../args.js';

export const EXCHANGE_URL_FLAGS: FlagSpecs = {
  'exchange-url': { type: 'string', valueName: 'url', description: 'another Upbit-compatible host (a sandbox, a test server): REST at the url, websocket at ws(s)://…/websocket/v1' },
  'rest-url': { type: 'string', valueName: 'url', description: `Upbit REST base alone (default ${UPBIT_REST_URL})` },
  'ws-url': { type: 'string', valueName: 'url', description: `Upbit websocket alone (default ${UPBIT_WS_URL})` },
};

/** `--exchange-url` sets both; `--rest-url` / `--ws-url` override one. */
export function exchangeUrls(args: ParsedArgs): { restUrl: string; wsUrl: string } {
  const base = args.strings.get('exchange-url')?.replace(/\/$/, '');
  const restUrl = args.strings.get('rest-url') ?? base ?? UPBIT_REST_URL;
  const wsUrl = args.strings.get('ws-url') ?? (base ? `${base.replace(/^http/, 'ws')}/websocket/v1` : UPBIT_WS_URL);
  return { restUrl, wsUrl };
}

export const DASHBOARD_FLAG: FlagSpecs[string] = { type: 'string', valueName: 'port', description: 'serve the dashboard on http://127.0.0.1:<port>/ while running (0: any free port)' };

/** A `--dashboard <port>` value: 0 for any free port. */
export function portFlag(text: string | undefined): number {
  const port = Number(text ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--dashboard needs a port number 0-65535, got "${text}"`);
  return port;
}
