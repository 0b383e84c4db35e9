import { BadResponse, type Exchange as Ccxt } from 'ccxt';
import type { MarketRules, Order } from '../../core/index.js';
import { UPBIT_KRW_FEE_RATE } from '../upbit-rules.js';
import { upbitRulesFromInstrument } from '../upbit-rules.js';
import type { CcxtCall, CcxtDialect } from './ccxt-dialect.js';
import { reloadMarkets } from './reload-markets.js';
import { ExchangeBannedError, upbitRequestGroup } from '../../net/rate-limiter.js';
import { rejectReasonOf, upbitErrorOf } from './upbit-errors.js';
import { upbitRawToOrder } from './upbit-order.js';

type Raw = Record<string, unknown>;

/** Upbit's most open orders in one page of `/v1/orders/open`, and how many pages are read at most (10,000 orders). */
const OPEN_ORDER_PAGE_SIZE = 100;
const OPEN_ORDER_PAGES = 100;
/** Upbit's implicit REST methods, as ccxt generates them from its API table. */
interface UpbitImplicit {
  publicGetOrderbookInstruments(params: Raw): Promise<unknown>;
  privateGetAccounts(params?: Raw): Promise<unknown>;
  privateGetOrder(params: Raw): Promise<unknown>;
  privateGetOrdersOpen(params: Raw): Promise<unknown>;
  privateGetOrdersChance(params: Raw): Promise<unknown>;
}

/**
 * Upbit through ccxt, on Upbit's own payloads: ccxt's unified parsing loses what the engine needs
 * (the `identifier`, executed funds of `myOrder` frames) and its precision is wrong for Upbit's
 * price bands, so orders are read from the raw `info` and ticks from `/v1/orderbook/instruments`,
 * with the KRW table as the fallback; the fee is the account's (`/v1/orders/chance`).
 */
export function upbitDialect(exchange: Ccxt, call: CcxtCall): CcxtDialect {
  const ex = exchange as Ccxt & UpbitImplicit;
  let accountFee: number | undefined;
  const feeRate = async (override: number | undefined): Promise<number> => {
    if (override !== undefined) return override;
    if (accountFee !== undefined) return accountFee;
    if (!ex.apiKey || !ex.secret) return UPBIT_KRW_FEE_RATE;
    try {
      const chance = (await call(() => ex.privateGetOrdersChance({ market: 'KRW-BTC' }))) as Raw;
      const fee = Number(chance['bid_fee']);
      accountFee = Number.isFinite(fee) && fee >= 0 && fee < 1 ? fee : UPBIT_KRW_FEE_RATE;
      return accountFee;
    } catch {
      return UPBIT_KRW_FEE_RATE;
    }
  };
  return {
    requestGroup: upbitRequestGroup,

    async markets(override) {
      const listed = await reloadMarkets(ex, call);
      const codes = Object.values(ex.markets ?? {})
        .filter((m) => m !== undefined && listed.has(m.symbol))
        .map((m) => String((m as { id?: unknown } | undefined)?.id ?? ''))
        .filter((c) => c.length > 0);
      const ticks = new Map<string, number>();
      try {
        for (let i = 0; i < codes.length; i += 100) {
          const rows = (await call(() => ex.publicGetOrderbookInstruments({ markets: codes.slice(i, i + 100).join(',') }))) as Raw[];
          for (const r of rows) {
            const tick = Number(r['tick_size']);
            if (typeof r['market'] === 'string' && Number.isFinite(tick) && tick > 0) ticks.set(r['market'], tick);
          }
        }
      } catch (error) {
        if (error instanceof ExchangeBannedError) throw error;
        // instruments unavailable: the KRW table stands in
      }
      const fee = await feeRate(override);
      const rules: MarketRules[] = [];
      for (const code of codes.sort()) {
        const r = upbitRulesFromInstrument(code, ticks.get(code), fee);
        if (r) rules.push(r);
      }
      return rules;
    },

    async balances() {
      const accounts = (await call(() => ex.privateGetAccounts())) as Raw[];
      return accounts
        .map((a) => ({ currency: String(a['currency']), free: Number(a['balance']) || 0, locked: Number(a['locked']) || 0 }))
        .sort((a, b) => a.currency.localeCompare(b.currency));
    },

    toOrder(order, previous, now) {
      return upbitRawToOrder(order.info as Raw, previous, now);
    },

    async fetchOrder(ref, previous, now) {
      const raw = (await call(() => ex.privateGetOrder(ref.id !== undefined ? { uuid: ref.id } : { identifier: ref.clientId }))) as Raw;
      const order = upbitRawToOrder(raw, previous, now);
      // Upbit says "no such order" with 404 order_not_found; a 2xx without an order in it (`{}`) says nothing:
      // taken for "not found", a position gave up an order resting there. A look-up that failed is asked again.
      if (!order) throw new BadResponse(`upbit answered a look-up with no order in it: ${JSON.stringify(raw).slice(0, 200)}`);
      return order;
    },

    async openOrders(previous, _markets, now) {
      // Upbit answers 100 a page, newest first: read on until a page is short (a bot's order behind 100
      // newer ones of the account was never seen, and never adopted at a restart). Bounded: at most
      // OPEN_ORDER_PAGES pages, and a page that brings no order not seen yet (a server ignoring `page`) ends it.
      const out: Order[] = [];
      const seen = new Set<string>();
      for (let page = 1; page <= OPEN_ORDER_PAGES; page++) {
        const rows = (await call(() => ex.privateGetOrdersOpen({ state: 'wait', page, limit: OPEN_ORDER_PAGE_SIZE }))) as Raw[];
        let fresh = 0;
        for (const raw of rows) {
          const uuid = String(raw['uuid']);
          if (seen.has(uuid)) continue;
          seen.add(uuid);
          fresh++;
          const order = upbitRawToOrder(raw, previous(uuid), now);
          if (order) out.push(order);
        }
        if (rows.length < OPEN_ORDER_PAGE_SIZE || fresh === 0) break;
      }
      return out;
    },

    async closedOrders(since, _markets, now) {
      const out: Order[] = [];
      for (const state of ['done', 'cancel']) {
        const rows = (await call(() => ex.privateGetOrdersClosed({ state, start_time: since, limit: 1000 }))) as Raw[];
        for (const raw of rows) {
          const order = upbitRawToOrder(raw, undefined, now);
          if (order) out.push(order);
        }
      }
      return out;
    },

    cancel(order) {
      return call(() => ex.cancelOrder(order.id));
    },

    rejectOf(error) {
      const e = upbitErrorOf(error);
      return { reason: rejectReasonOf(e.name), message: e.name ? `${e.name}: ${e.message}` : e.message };
    },
  };
}
