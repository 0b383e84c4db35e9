import { ArgumentsRequired, BadRequest, BadResponse, BadSymbol, InsufficientFunds, NotSupported, OrderNotFound, type Exchange as Ccxt, type Order as CcxtOrder } from 'ccxt';
import { baseOf, quoteOf, type Balance, type MarketRules, type Order, type OrderStatus, type RejectReason } from '../../core/index.js';
import { genericMarketRules, type CcxtMarketLike, type PrecisionMode } from '../market-rules.js';
import type { CcxtCall, CcxtDialect, OrderRef } from './ccxt-dialect.js';
import { feeInMarket } from './fee-in-market.js';
import { reloadMarkets } from './reload-markets.js';

/**
 * Exchanges whose myTrades reads an order's trades (`orderId`) a page at a time from a trade id (`fromId`,
 * ascending; without it the latest), at most TRADES_PAGE a page (Binance's maximum; its default is 500).
 * Elsewhere one read with the exchange's own default, as before.
 */
const TRADES_PAGED = new Set(['binance', 'binanceus']);
const TRADES_PAGE = 1_000;
/** The most pages read for one order's fee. */
const TRADES_PAGES_MAX = 20;

/** Exchanges whose ccxt `fetchOrder` finds an order by `params.origClientOrderId` (read in ccxt's source). */
const FETCH_BY_CLIENT_ID = new Set(['binance', 'binanceus']);
/** How far back a client-id search through closed orders looks. */
const CLOSED_LOOKBACK_MS = 7 * 86_400_000;

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.length > 0 ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

function statusOf(status: unknown, previous: Order | undefined): OrderStatus {
  switch (status) {
    case 'closed':
      return 'filled';
    case 'canceled':
    case 'cancelled':
    case 'expired':
    case 'rejected':
      return 'cancelled';
    case 'open':
      return 'open';
    default:
      return previous?.status ?? 'open';
  }
}

/**
 * The fee in quote currency: fees charged in quote as they are, fees charged in base (Binance takes a
 * buy's fee from the coins bought) at the order's average price. Undefined when the exchange reported
 * none (Binance's order queries carry no fee) or charged any in a third currency (BNB): the fill is then
 * reported at the estimate and its trades are read for the fee in quote (`tradeFees`). Counted as none,
 * as before the fourteenth session, every fill of an account paying in BNB had no fee at all.
 */
function quoteFee(o: CcxtOrder, base: string, quote: string, price: number): OrderFees | undefined {
  const fees = (o as CcxtOrder & { fees?: CcxtOrder['fee'][] }).fees;
  const list = withoutRepeatedTrades(fees && fees.length > 0 ? fees : o.fee ? [o.fee] : [], o.trades);
  let total: number | undefined;
  let baseFee = 0;
  for (const f of list) {
    const cost = num(f?.cost);
    if (cost === undefined || !f) continue;
    if (f.currency === quote || f.currency === undefined || f.currency === null) total = (total ?? 0) + cost;
    else if (f.currency === base) {
      total = (total ?? 0) + cost * price;
      baseFee += cost;
    } else if (cost !== 0) return undefined; // a third currency (BNB): no price in quote here
  }
  return total === undefined ? undefined : { fee: total, baseFee };
}

/**
 * An order's fees less what ccxt.pro counted twice: it adds each trade report's fee to its cached order
 * (Binance's executionReport `n`) and lists the trade in the order's `trades`, a report delivered twice
 * included, so the fee of every trade listed again under the same id is taken back out
 * (test/exchange/ccxt/binance-exchange.spec.ts, "a trade report delivered twice").
 */
function withoutRepeatedTrades(fees: readonly CcxtOrder['fee'][], trades: CcxtOrder['trades'] | undefined): CcxtOrder['fee'][] {
  if (!Array.isArray(trades) || trades.length < 2) return [...fees];
  const seen = new Set<string>();
  const repeated = new Map<string | undefined, number>();
  for (const t of trades) {
    const id = t?.id;
    if (id === undefined || id === null) continue;
    if (!seen.has(String(id))) {
      seen.add(String(id));
      continue;
    }
    const cost = num(t.fee?.cost);
    if (cost !== undefined && cost > 0) repeated.set(t.fee?.currency, (repeated.get(t.fee?.currency) ?? 0) + cost);
  }
  if (repeated.size === 0) return [...fees];
  return fees.map((f) => {
    const extra = f ? repeated.get(f.currency) : undefined;
    const cost = num(f?.cost);
    if (!f || extra === undefined || cost === undefined) return f;
    repeated.delete(f.currency);
    return { ...f, cost: Math.max(0, cost - extra) };
  });
}

/**
 * The order's fee after a private-stream report of one trade (Binance's executionReport, `x: TRADE`: the
 * trade's amount `l` at `L`, its fee `n` in `N`, the order's executed amount `z`), counted from what the
 * engine already knew of the order rather than from ccxt.pro's sum, which holds only the reports this
 * process saw (after a restart the first trade's fee was lost against the restored order's) and each
 * report as often as it came. The order as known plus this trade's fee when the report brings exactly
 * this trade; the fee as known when it brings nothing new (a report repeated, or older); undefined
 * otherwise (no such report, the order not known, or trades missed between: ccxt's figure stands).
 */
function tradeReportFee(info: unknown, previous: Order | undefined, filled: number, base: string, quote: string): OrderFees | undefined {
  if (!previous || !info || typeof info !== 'object') return undefined;
  const r = info as Record<string, unknown>;
  if (r['x'] !== 'TRADE') return undefined;
  const amount = num(r['l']);
  const fee = num(r['n']);
  const price = num(r['L']);
  if (amount === undefined || fee === undefined || price === undefined) return undefined;
  const tolerance = 1e-9 * Math.max(1, filled);
  const added = filled - previous.filled;
  const before = previous.baseFee ?? 0;
  if (added <= tolerance) return { fee: previous.fee, baseFee: before };
  if (Math.abs(added - amount) > tolerance) return undefined;
  const currency = r['N'];
  // A fee in a third currency (BNB) has no price here: the order's estimate stands until its trades are read.
  if (!feeInMarket(currency, fee, base, quote)) return undefined;
  return currency === base ? { fee: previous.fee + fee * price, baseFee: before + fee } : { fee: previous.fee + fee, baseFee: before };
}

/** An order's fees in quote, and the part of them taken from the coins bought, in base (`Order.baseFee`). */
interface OrderFees {
  readonly fee: number;
  readonly baseFee: number;
}

/** The exchange's own word for a market ccxt marks inactive (Binance's `status`), `inactive` when it gives none. */
function haltedStatus(info: unknown): string {
  const status = info && typeof info === 'object' ? (info as Record<string, unknown>)['status'] : undefined;
  return typeof status === 'string' && status.length > 0 ? status : 'inactive';
}

/** The engine's reject reason for a ccxt error, from its class and the exchange's words. */
export function unifiedRejectReason(error: unknown): RejectReason {
  if (error instanceof InsufficientFunds) return 'insufficient_funds';
  if (error instanceof BadSymbol) return 'unknown_market';
  if (error instanceof OrderNotFound) return 'unknown_order';
  const text = error instanceof Error ? error.message : String(error);
  if (/NOTIONAL|min(imum)?[ _-]?(total|cost|notional|value)|too small/i.test(text)) return 'under_minimum';
  if (/LOT_SIZE|quantity|amount|volume|size/i.test(text)) return 'invalid_amount';
  if (/PRICE_FILTER|PERCENT_PRICE|tick|price/i.test(text)) return 'invalid_price';
  return 'exchange_error';
}

/**
 * Any ccxt exchange through ccxt's unified API: markets from `loadMarkets` (tick and lot from the
 * market's precision, minimum total from `limits.cost.min`, fee from `taker`), balances from
 * `fetchBalance`, orders from the unified order structure. Looking an order up by client id uses
 * `fetchOrder` with `clientOrderId` where ccxt supports it (Binance) and otherwise searches the market's
 * open and recent closed orders. When the exchange reports no fee for an order, the fee is the market's
 * fee rate times the executed cost, so P&L never leaves fees out.
 */
export function unifiedDialect(ex: Ccxt, call: CcxtCall): CcxtDialect {
  const market = (symbol: string): CcxtMarketLike | undefined => ex.markets?.[symbol] as CcxtMarketLike | undefined;

  const toOrder = (o: CcxtOrder, previous: Order | undefined, now: number): Order | undefined => {
    const id = typeof o.id === 'string' && o.id.length > 0 ? o.id : undefined;
    const symbol = o.symbol ?? previous?.market;
    const side = o.side === 'buy' || o.side === 'sell' ? o.side : previous?.side;
    if (id === undefined || symbol === undefined || side === undefined) return undefined;
    const filled = num(o.filled) ?? previous?.filled ?? 0;
    const amount = num(o.amount) ?? previous?.amount ?? filled;
    const price = num(o.price) ?? previous?.price ?? 0;
    const average = num(o.average);
    const cost = num(o.cost) ?? (filled === 0 ? 0 : average !== undefined ? average * filled : previous && previous.filled === filled ? previous.cost : price * filled);
    const m = market(symbol);
    const base = m?.base ?? baseOf(symbol);
    const quote = m?.quote ?? quoteOf(symbol);
    const known = tradeReportFee(o.info, previous, filled, base, quote) ?? quoteFee(o, base, quote, filled > 0 ? cost / filled : price);
    const same = previous !== undefined && previous.filled === filled;
    const fee = known?.fee ?? (same ? previous.fee : cost * (m?.taker ?? 0));
    // An estimate takes nothing from the coins: the trades, once read, say whether the exchange did.
    const baseFee = known ? known.baseFee : same ? (previous.baseFee ?? 0) : 0;
    const order: Order = {
      id,
      // A client id never changes once known; a cancel answer's `clientOrderId` can be the cancel's own (Binance).
      clientId: previous?.clientId || String((o.info as Record<string, unknown> | undefined)?.['origClientOrderId'] ?? '') || o.clientOrderId || '',
      market: symbol,
      side,
      price,
      amount,
      status: statusOf(o.status, previous),
      filled,
      cost,
      fee,
      ts: num(o.timestamp) ?? previous?.ts ?? now,
    };
    return baseFee > 0 ? { ...order, baseFee } : order;
  };

  /** The order with this client id among the market's open and recent closed orders. */
  const search = async (clientId: string, symbol: string, now: number): Promise<CcxtOrder | undefined> => {
    const open = await call(() => ex.fetchOpenOrders(symbol));
    const hit = open.find((o) => o.clientOrderId === clientId);
    if (hit) return hit;
    const since = now - CLOSED_LOOKBACK_MS;
    const closed = ex.has['fetchClosedOrders'] ? await call(() => ex.fetchClosedOrders(symbol, since)) : ex.has['fetchOrders'] ? await call(() => ex.fetchOrders(symbol, since)) : [];
    return closed.find((o) => o.clientOrderId === clientId);
  };

  /**
   * What one unit of `currency` (a fee paid in BNB) is worth in `quote`: the last price of `<currency>/<quote>`,
   * or the inverse of `<quote>/<currency>`'s, read now (within seconds to minutes of the trade: BNB moves
   * little in that time); undefined where the exchange lists neither market.
   */
  const priceInQuote = async (currency: string, quote: string): Promise<number | undefined> => {
    for (const [symbol, inverse] of [[`${currency}/${quote}`, false], [`${quote}/${currency}`, true]] as const) {
      if (!market(symbol)) continue;
      const ticker = await call(() => ex.fetchTicker(symbol));
      const last = num(ticker.last) ?? num(ticker.close);
      if (last !== undefined && last > 0) return inverse ? 1 / last : last;
    }
    return undefined;
  };

  return {
    requestGroup: () => 'default',

    async markets(feeRate) {
      const listed = await reloadMarkets(ex, call);
      const rules: MarketRules[] = [];
      for (const m of Object.values(ex.markets ?? {})) {
        if (!m || m.spot !== true || !listed.has(m.symbol)) continue;
        try {
          const r = genericMarketRules(m as CcxtMarketLike, { precisionMode: ex.precisionMode as PrecisionMode, ...(feeRate !== undefined ? { feeRate } : {}) });
          // A market not trading now (Binance BREAK / HALT) keeps its rules, marked: a position restored in
          // it must stay managed and able to exit once it trades again; left out, it was abandoned for the run.
          rules.push(m.active === false ? { ...r, halted: haltedStatus(m.info) } : r);
        } catch {
          // a market without price precision or fee cannot be traded safely: left out
        }
      }
      return rules.sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
    },

    async balances() {
      const b = (await call(() => ex.fetchBalance())) as unknown as { free?: Record<string, unknown>; used?: Record<string, unknown>; total?: Record<string, unknown> };
      const currencies = new Set([...Object.keys(b.total ?? {}), ...Object.keys(b.free ?? {})]);
      const out: Balance[] = [];
      for (const currency of currencies) out.push({ currency, free: num(b.free?.[currency]) ?? 0, locked: num(b.used?.[currency]) ?? 0 });
      return out.sort((x, y) => x.currency.localeCompare(y.currency));
    },

    toOrder,

    async fetchOrder(ref: OrderRef, previous, now) {
      // ccxt's OrderNotFound reaches the adapter, which answers undefined
      const symbol = ref.market ?? previous?.market;
      // "No such order" is ccxt's OrderNotFound; an answer with no order in it (`{}`) says nothing: a look-up that
      // failed, asked again (taken for "not found", a position gave up an order resting there).
      const readable = (o: CcxtOrder): Order => {
        const order = toOrder(o, previous, now);
        if (!order) throw new BadResponse(`${ex.id} answered a look-up with no order in it`);
        return order;
      };
      if (ref.id !== undefined) return readable(await call(() => ex.fetchOrder(ref.id as string, symbol)));
      if (ref.clientId === undefined || symbol === undefined) return undefined;
      const clientId = ref.clientId;
      const found = FETCH_BY_CLIENT_ID.has(ex.id) ? await call(() => ex.fetchOrder('', symbol, { origClientOrderId: clientId })) : await search(clientId, symbol, now);
      if (!found || (found.clientOrderId !== undefined && found.clientOrderId !== clientId)) return undefined;
      return readable(found);
    },

    async closedOrders(since, markets, now) {
      const out: Order[] = [];
      for (const m of markets) {
        const rows = ex.has['fetchClosedOrders'] ? await call(() => ex.fetchClosedOrders(m, since)) : ex.has['fetchOrders'] ? await call(() => ex.fetchOrders(m, since)) : [];
        for (const o of rows) {
          const order = toOrder(o, undefined, now);
          if (order && order.status !== 'open') out.push(order);
        }
      }
      return out;
    },

    async openOrders(previous, markets, now) {
      let rows: CcxtOrder[];
      try {
        rows = await call(() => ex.fetchOpenOrders());
      } catch (error) {
        // exchanges that list open orders per market only
        if (!(error instanceof ArgumentsRequired || error instanceof NotSupported || error instanceof BadRequest)) throw error;
        rows = [];
        for (const m of markets) rows.push(...(await call(() => ex.fetchOpenOrders(m))));
      }
      const out: Order[] = [];
      for (const o of rows) {
        const order = toOrder(o, previous(String(o.id)), now);
        if (order) out.push(order);
      }
      return out;
    },

    ...(ex.has['fetchMyTrades']
      ? {
          async tradeFees(order: Order) {
            // `orderId` narrows Binance's myTrades to the order; other exchanges may ignore it, hence the filter.
            const paged = TRADES_PAGED.has(ex.id);
            let trades = await call(() => ex.fetchMyTrades(order.market, undefined, paged ? TRADES_PAGE : undefined, { orderId: order.id }));
            // A full answer holds the order's latest trades only: read them again from the first on, a page at a
            // time, so the fees add up (before, an order of more than 500 trades kept its estimate for good).
            if (paged && trades.length >= TRADES_PAGE) {
              const all: typeof trades = [];
              let fromId = 0;
              for (let page = 0; page < TRADES_PAGES_MAX; page++) {
                const batch = await call(() => ex.fetchMyTrades(order.market, undefined, TRADES_PAGE, { orderId: order.id, fromId }));
                all.push(...batch);
                const last = Number(batch[batch.length - 1]?.id);
                if (batch.length < TRADES_PAGE || !Number.isFinite(last)) break;
                fromId = last + 1;
              }
              trades = all;
            }
            const m = market(order.market);
            const base = m?.base ?? baseOf(order.market);
            const quote = m?.quote ?? quoteOf(order.market);
            let filled = 0;
            let fee: number | undefined = 0;
            let baseFee = 0;
            const prices = new Map<string, number | undefined>();
            for (const t of trades) {
              if (String(t.order) !== order.id) continue;
              filled += num(t.amount) ?? 0;
              const fees = (t as unknown as { fees?: CcxtOrder['fee'][] }).fees;
              const list = fees && fees.length > 0 ? fees : t.fee ? [t.fee] : [];
              for (const f of list) {
                const cost = num(f?.cost);
                if (!f || cost === undefined || fee === undefined) continue;
                if (f.currency === quote || f.currency === undefined || f.currency === null) fee += cost;
                else if (f.currency === base) {
                  fee += cost * (num(t.price) ?? 0);
                  baseFee += cost;
                } else if (cost !== 0) {
                  if (!prices.has(f.currency)) prices.set(f.currency, await priceInQuote(f.currency, quote));
                  const price = prices.get(f.currency);
                  fee = price === undefined ? undefined : fee + cost * price;
                }
              }
            }
            return { filled, fee, baseFee };
          },
        }
      : {}),

    cancel(order) {
      return call(() => ex.cancelOrder(order.id, order.market));
    },

    rejectOf(error) {
      return { reason: unifiedRejectReason(error), message: error instanceof Error ? error.message : String(error) };
    },
  };
}
