import { UPBIT_REST_URL, UPBIT_WS_URL } from '../../net/upbit-quotation.js';
import { UsageError, type FlagSpecs, type ParsedArgs } from '../args.js';

export const EXCHANGE_URL_FLAGS: FlagSpecs = {
  'exchange-url': {
    type: 'string',
    valueName: 'url',
    description: 'another host for the exchange (a sandbox, a test server). Upbit: REST at the url, websocket at ws(s)://…/websocket/v1; other exchanges: every endpoint moved to that host, paths kept',
  },
  'rest-url': { type: 'string', valueName: 'url', description: `REST base alone (Upbit default ${UPBIT_REST_URL})` },
  'ws-url': { type: 'string', valueName: 'url', description: `websocket alone (Upbit default ${UPBIT_WS_URL}; other exchanges: the websocket origin)` },
};

/** For exchanges other than Upbit: the hosts to move ccxt's endpoints to, when a flag names one. */
export function exchangeOverrides(args: ParsedArgs): { restUrl?: string; wsUrl?: string } {
  const base = args.strings.get('exchange-url')?.replace(/\/$/, '');
  const restUrl = args.strings.get('rest-url') ?? base;
  const wsUrl = args.strings.get('ws-url') ?? base?.replace(/^http/, 'ws');
  return { ...(restUrl !== undefined ? { restUrl } : {}), ...(wsUrl !== undefined ? { wsUrl } : {}) };
}

/** Upbit: `--exchange-url` sets both; `--rest-url` / `--ws-url` override one. */
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
