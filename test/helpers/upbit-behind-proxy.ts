import type { Kernel } from '../../src/engine/kernel.js';
import type { LiveNode } from '../../src/engine/nodes/live-node.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import { FaultProxy } from './fault-proxy.js';
import type { LiveSessions } from './live-sessions.js';
import { UpbitServer } from './upbit-server.js';
import { waitFor } from './wait-for.js';

/**
 * A live session of `sessions`' bot on the local Upbit server (1,000,000 KRW; XRP at 3,000 KRW), its REST calls
 * through a fault proxy (whose `rule` answers in the server's place), once reconciled and trading. The server,
 * the proxy and the node are closed after the test.
 */
export async function tradingBehindProxy(sessions: LiveSessions): Promise<{ server: UpbitServer; proxy: FaultProxy; node: LiveNode; kernel: Kernel; lines: string[] }> {
  await sessions.start();
  const server = sessions.closeAfter(await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-XRP', price: 3_000 }] }));
  const proxy = sessions.closeAfter(await FaultProxy.start(server.restUrl));
  const lines: string[] = [];
  const exchange = new CcxtExchange({ restUrl: proxy.url, wsUrl: server.wsUrl, apiKey: server.accessKey, secret: server.secretKey, pollIntervalMs: 100 });
  const node = await sessions.node(exchange, lines, server.restUrl);
  const kernel = node.start();
  await waitFor(() => lines.includes('reconciled; trading'), 'trading', 10_000);
  return { server, proxy, node, kernel, lines };
}
