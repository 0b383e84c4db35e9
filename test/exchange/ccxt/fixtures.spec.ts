import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCcxt } from '../../../src/exchange/ccxt/create-ccxt.js';
import { sharedData, skipWithoutSharedData } from '../../helpers/shared-data.js';
import { UpbitServer } from '../../helpers/upbit-server.js';

interface RequestFixture {
  readonly method: string;
  readonly input: unknown[];
  readonly url: string;
  readonly output?: string | null;
}
interface ResponseFixture {
  readonly method: string;
  readonly input: unknown[];
  readonly httpResponse: Record<string, unknown>[];
}

// The methods coinrx uses. Withdrawals, deposits and market orders by cost are not part of the engine.
const USED = new Set(['fetchMarkets', 'fetchTrades', 'fetchOrderBook', 'fetchTicker', 'fetchTickers', 'fetchOHLCV', 'createOrder', 'cancelOrder']);

describe.skipIf(skipWithoutSharedData())("the local Upbit server against ccxt's own Upbit fixtures", () => {
  const requests = JSON.parse(readFileSync(sharedData('exchange-fixtures/ccxt-upbit/request.json'), 'utf8')) as { methods: Record<string, RequestFixture[]> };
  const responses = JSON.parse(readFileSync(sharedData('exchange-fixtures/ccxt-upbit/response.json'), 'utf8')) as { methods: Record<string, ResponseFixture[]> };
  let server: UpbitServer;
  beforeAll(async () => {
    server = await UpbitServer.start({ enforceRateLimits: false, balances: { USDT: 100_000, BTC: 1 }, markets: [{ code: 'USDT-BTC', price: 73_000 }, { code: 'USDT-ETH', price: 4_000 }, { code: 'KRW-BTC', price: 95_000_000 }] });
  });
  afterAll(async () => {
    await server?.close();
  });

  const cases = Object.values(requests.methods)
    .flat()
    .filter((f) => USED.has(f.method) && !(f.method === 'createOrder' && (f.input[1] !== 'limit' || f.input.length > 5)));

  it.each(cases.map((f) => [`${f.method} ${JSON.stringify(f.input)}`, f] as const))('%s reaches the server as ccxt sends it to Upbit', async (_name, fixture) => {
    const ex = createCcxt({ restUrl: server.restUrl, apiKey: server.accessKey, secret: server.secretKey });
    await ex.loadMarkets();
    const before = server.requests.length;
    const call = (ex as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[fixture.method] as (...args: unknown[]) => Promise<unknown>;
    const result = await call.apply(ex, fixture.input).catch((error: unknown) => error);
    const request = server.requests.slice(before).at(-1);
    const wanted = new URL(fixture.url);
    expect(request?.path).toBe(wanted.pathname);
    expect(request?.query).toEqual(Object.fromEntries(wanted.searchParams));
    if (fixture.output) expect(request?.body).toEqual(JSON.parse(fixture.output));
    // The server answers what ccxt can parse, except a cancel of an order it never had.
    if (fixture.method === 'cancelOrder') expect(String(result)).toMatch(/OrderNotFound|order_not_found/);
    else expect(result).not.toBeInstanceOf(Error);
  });

  it.each(Object.values(responses.methods).flat().map((f) => [f.method, f] as const))('%s: the server answers with every field of the real Upbit payload', async (method, fixture) => {
    const url = requests.methods[method]?.[0]?.url as string;
    const path = new URL(url);
    if (method === 'fetchTrades') server.publishTrade('USDT-BTC'); // a trade to list
    const res = await fetch(`${server.restUrl}${path.pathname}${path.search}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>[];
    const real = Object.keys(fixture.httpResponse[0] as object).sort();
    const ours = Object.keys(body[0] as object);
    expect(real.filter((k) => !ours.includes(k))).toEqual([]);
  });
});
