import type { MarketEvent, MarketSymbol } from '../../core/index.js';
import { upbitMarket } from '../symbols.js';
import type { ParseOutcome } from './record-parser.js';
import { ticker } from './ticker-event.js';
import { trade } from './trade-event.js';

/**
 * Upbit websocket frames in SIMPLE (`ty`, `cd`, `tp`...) or DEFAULT (`type`, `code`, `trade_price`...)
 * naming. Event time is the frame's `tms`/`timestamp` (when Upbit sent it, ms resolution), not the
 * trade's `ttms`/`trade_timestamp`, which older captures truncate to whole seconds.
 */
type Frame = Record<string, unknown>;

export function isUpbitFrame(f: Frame): boolean {
  return ('ty' in f && 'cd' in f) || ('type' in f && 'code' in f);
}

const n = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && v.length > 0 ? Number(v) : NaN);

export class UpbitFrames {
  readonly #markets = new Map<string, MarketSymbol | undefined>();
  lastError?: string;
  constructor(private readonly market?: MarketSymbol) {}

  handle(f: Frame, out: MarketEvent[]): ParseOutcome {
    const simple = 'ty' in f;
    const type = simple ? f['ty'] : f['type'];
    const code = String(simple ? f['cd'] : f['code']);
    const market = this.market ?? this.#marketOf(code);
    const ts = n(simple ? f['tms'] : f['timestamp']);
    if (market === undefined || !Number.isFinite(ts)) {
      this.lastError = market === undefined ? `bad market code "${code}"` : 'no timestamp';
      return 'malformed';
    }
    switch (type) {
      case 'trade': {
        const price = n(simple ? f['tp'] : f['trade_price']);
        const amount = n(simple ? f['tv'] : f['trade_volume']);
        const askBid = simple ? f['ab'] : f['ask_bid'];
        const sid = n(simple ? f['sid'] : f['sequential_id']);
        if (!(price > 0 && amount > 0)) return this.#bad('trade without a positive price and volume');
        const side = askBid === 'BID' ? 'buy' : askBid === 'ASK' ? 'sell' : undefined;
        out.push(trade(market, ts, price, amount, side, Number.isSafeInteger(sid) ? sid : undefined));
        return 'ok';
      }
      case 'orderbook': {
        const units = simple ? f['obu'] : f['orderbook_units'];
        const top = Array.isArray(units) ? (units[0] as Frame | undefined) : undefined;
        if (top === undefined || top === null || typeof top !== 'object') return this.#bad('orderbook without units');
        const askPrice = n(simple ? top['ap'] : top['ask_price']);
        const bidPrice = n(simple ? top['bp'] : top['bid_price']);
        const askSize = n(simple ? top['as'] : top['ask_size']);
        const bidSize = n(simple ? top['bs'] : top['bid_size']);
        if (!(askPrice > 0 && bidPrice > 0 && askSize >= 0 && bidSize >= 0)) return this.#bad('orderbook unit without prices');
        out.push({ kind: 'book', market, ts, bidPrice, bidSize, askPrice, askSize });
        return 'ok';
      }
      case 'ticker': {
        const price = n(simple ? f['tp'] : f['trade_price']);
        if (!(price > 0)) return this.#bad('ticker without a positive trade price');
        const volume24h = n(simple ? f['atv24h'] : f['acc_trade_volume_24h']);
        const value24h = n(simple ? f['atp24h'] : f['acc_trade_price_24h']);
        out.push(ticker(market, ts, price, volume24h, value24h));
        return 'ok';
      }
      default:
        return 'ignored';
    }
  }

  #bad(reason: string): ParseOutcome {
    this.lastError = reason;
    return 'malformed';
  }

  #marketOf(code: string): MarketSymbol | undefined {
    let m = this.#markets.get(code);
    if (m === undefined && !this.#markets.has(code)) {
      m = upbitMarket(code);
      this.#markets.set(code, m);
    }
    return m;
  }
}
