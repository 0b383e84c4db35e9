/**
 * Points a ccxt exchange's endpoint table (`exchange.urls.api`) at another host, keeping every path:
 * `https://api.binance.com/api/v3` → `http://127.0.0.1:9000/api/v3`, `wss://stream.binance.com:9443/ws`
 * → `ws://127.0.0.1:9000/ws`. HTTP URLs move to `restOrigin`, websocket URLs to `wsOrigin` (default: the
 * REST origin with `ws:`/`wss:`). This is how `--exchange-url` reaches a sandbox or a local test server
 * for any ccxt exchange without knowing its URL layout.
 */
export function rehostUrls<T>(urls: T, restOrigin: string, wsOrigin = restOrigin.replace(/^http/, 'ws')): T {
  const rest = origin(restOrigin);
  const ws = origin(wsOrigin);
  const visit = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const m = /^(https?|wss?):\/\/[^/]+(.*)$/i.exec(value);
      if (!m) return value;
      return `${m[1]!.toLowerCase().startsWith('ws') ? ws : rest}${m[2]}`;
    }
    if (Array.isArray(value)) return value.map(visit);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]));
    return value;
  };
  return visit(urls) as T;
}

/** `http://127.0.0.1:9000/anything` → `http://127.0.0.1:9000`; throws on something that is not a URL. */
function origin(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

/** ccxt refuses a plain `ws://` socket (a local test server) until its proxy agent is loaded. */
export function hasPlainWebsocket(urls: unknown): boolean {
  return JSON.stringify(urls ?? null).includes('"ws://');
}
