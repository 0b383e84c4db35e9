import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { MarketRules } from '../../src/core/index.js';
import { MarketRulesRefresh, NOT_LISTED } from '../../src/exchange/ccxt/market-rules-refresh.js';
import { connectLiveExchange, liveNode, type LiveNode } from '../../src/engine/nodes/live-node.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { upbitKrwRules } from '../../src/exchange/index.js';
import { BinanceServer, DEFAULT_BINANCE_MARKETS } from '../helpers/binance-server.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A market halted by the exchange mid-run (Binance BREAK), and trading again, as the live session's
 * account sees it: before the re-read, the halted mark was read at the start only, so the halted market
 * kept receiving entries and one trading again got none until a restart.
 */
let server: BinanceServer | undefined;
let node: LiveNode | undefined;

afterEach(async () => {
  await node?.close().catch(() => undefined);
  node = undefined;
  await server?.close();
  server = undefined;
});

describe('live: the markets’ rules re-read mid-run', () => {
  it('a market that goes into BREAK is marked halted, and unmarked once it trades again (the account’s rules, which sizing reads)', async () => {
    server = await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 1_000 } });
    const config = parseConfig({ botId: 'rules', exchange: { id: 'binance', quote: 'USDT', rulesEvery: 200 } });
    const live = await connectLiveExchange({ config, keys: { apiKey: server.apiKey, secret: server.secret }, urls: { restUrl: server.restUrl } });
    const lines: string[] = [];
    node = await liveNode({ config, live, store: new MemoryStore({ botId: 'rules' }), log: (l) => lines.push(l) });
    expect(node.account.rules('XRP/USDT')?.halted).toBeUndefined();

    const xrp = DEFAULT_BINANCE_MARKETS.find((m) => m.symbol === 'XRPUSDT')!;
    server.listMarket({ ...xrp, status: 'BREAK' });
    await waitFor(() => node!.account.rules('XRP/USDT')?.halted === 'BREAK', 'XRP/USDT marked halted', 5_000);
    expect(lines.some((l) => /market XRP\/USDT is not trading now \(status BREAK\)/.test(l))).toBe(true);
    // Its rules stay (a position there keeps its exit priced); the other markets are untouched.
    expect(node.account.rules('XRP/USDT')).toMatchObject({ amountStep: 0.1, minTotal: 5 });
    expect(node.account.rules('BTC/USDT')?.halted).toBeUndefined();

    server.listMarket({ ...xrp, status: 'TRADING' });
    await waitFor(() => node!.account.rules('XRP/USDT') !== undefined && node!.account.rules('XRP/USDT')!.halted === undefined, 'XRP/USDT trading again', 5_000);
    expect(lines.some((l) => /market XRP\/USDT trades again \(it was BREAK\)/.test(l))).toBe(true);
  });

  it('Upbit: a market dropped from /v1/market/all mid-run keeps its rules, marked not listed, and its orders stay addressable', async () => {
    const upbit = await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-BTC', price: 95_000_000 }, { code: 'KRW-XRP', price: 3000 }] });
    try {
      const config = parseConfig({ botId: 'rules', exchange: { id: 'upbit', quote: 'KRW', rulesEvery: 200 } });
      const live = await connectLiveExchange({ config, keys: { apiKey: upbit.accessKey, secret: upbit.secretKey }, urls: { restUrl: upbit.restUrl, wsUrl: upbit.wsUrl } });
      node = await liveNode({ config, live, store: new MemoryStore({ botId: 'rules' }), log: () => undefined });
      const placed = await node.account.createLimitOrder({ clientId: 'rules-1-b1', market: 'XRP/KRW', side: 'buy', price: 2_900, amount: 10 });
      upbit.delistMarket('KRW-XRP');
      await waitFor(() => node!.account.rules('XRP/KRW')?.halted === NOT_LISTED, 'XRP/KRW marked not listed', 5_000);
      expect(node.account.rules('BTC/KRW')?.halted).toBeUndefined();
      await node.account.cancelOrder(placed!.id);
      expect(upbit.order({ uuid: placed!.id })?.['state']).toBe('cancel');
    } finally {
      await node?.close().catch(() => undefined);
      node = undefined;
      await upbit.close();
    }
  });

  it('keeps the rules of a market the exchange stops listing, marked halted; a failed or empty read changes nothing and is said once', async () => {
    const btc = upbitKrwRules('BTC/KRW');
    const xrp = upbitKrwRules('XRP/KRW');
    let answer: () => Promise<readonly MarketRules[]> = async () => [btc];
    const lines: string[] = [];
    const refresh = new MarketRulesRefresh({ read: () => answer(), initial: [btc, xrp], log: (l) => lines.push(l) });
    await refresh.refresh();
    expect(refresh.rules.get('XRP/KRW')).toMatchObject({ market: 'XRP/KRW', halted: NOT_LISTED });
    expect(refresh.rules.get('BTC/KRW')?.halted).toBeUndefined();
    answer = async () => {
      throw new Error('503');
    };
    await expect(refresh.refresh()).rejects.toThrow('503');
    await expect(refresh.refresh()).rejects.toThrow('503');
    answer = async () => [];
    await expect(refresh.refresh()).rejects.toThrow(/no market/);
    expect(refresh.rules.get('BTC/KRW')?.halted).toBeUndefined();
    expect(lines.filter((l) => /re-read failed/.test(l))).toHaveLength(1);
    answer = async () => [btc, xrp];
    await refresh.refresh();
    expect(refresh.rules.get('XRP/KRW')?.halted).toBeUndefined();
    expect(lines.filter((l) => /read again after 3 failed/.test(l))).toHaveLength(1);
  });
});
