import { afterEach } from 'vitest';
import type { Config } from '../../src/config.js';
import type { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import { liveNode, type LiveNode } from '../../src/engine/nodes/live-node.js';
import { RedisStore } from '../../src/store/index.js';
import { RedisTestServer } from './redis-server.js';

interface Closeable {
  close(): Promise<void>;
}

/**
 * The live nodes of one bot (`config`) on a local exchange server, each with its store in a real
 * redis-server: the restart specs' sessions. After each test, what it gave `closeAfter` is closed, the
 * last first (the exchange server, given first, after the nodes that talk to it), then Redis is stopped.
 */
export class LiveSessions {
  readonly #config: Config;
  readonly #closing: Closeable[] = [];
  #redis: RedisTestServer | undefined;

  /** Made at a spec file's top level: it registers the cleanup after each test. */
  constructor(config: Config) {
    this.#config = config;
    afterEach(async () => {
      for (const c of this.#closing.splice(0).reverse()) await c.close().catch(() => undefined);
      await this.#redis?.stop();
      this.#redis = undefined;
    });
  }

  /** Starts the test's redis-server. */
  async start(): Promise<void> {
    this.#redis = await RedisTestServer.start();
  }

  closeAfter<T extends Closeable>(c: T): T {
    this.#closing.push(c);
    return c;
  }

  /** A live node of the bot trading through `exchange` (reached at `where`), its log lines into `lines`. */
  async node(exchange: CcxtExchange, lines: string[], where: string): Promise<LiveNode> {
    if (this.#redis === undefined) throw new Error('LiveSessions: start() first');
    const rules = new Map((await exchange.markets()).map((r) => [r.market, r]));
    const store = this.closeAfter(new RedisStore({ botId: this.#config.botId, url: this.#redis.url }));
    return this.closeAfter(await liveNode({ config: this.#config, live: { exchange, rules, where }, store, log: (l) => lines.push(l) }));
  }
}
