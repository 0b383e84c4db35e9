import type { MarketEvent } from '../core/index.js';
import { parseCaptureLine } from './capture-line.js';
import { marketFromUpbitCode } from './market-names.js';
import { epochMs, MalformedRecord, nonNegative, Parsed, parseJson, positive, tradeEvent, type RecordParser } from './record-parser.js';

type Frame = Record<string, unknown>;

/** A field under its DEFAULT name or its SIMPLE abbreviation. */
function pick(frame: Frame, long: string, short: string): unknown {
  const v = frame[long];
  return v === undefined ? frame[short] : v;
}

/**
 * Upbit websocket frames, DEFAULT (`type`, `code`, `trade_price`…) or SIMPLE (`ty`, `cd`, `tp`…) naming:
 * `trade` → TradeEvent (id = `sequential_id`, side from `ask_bid`: BID = a buying taker), `ticker` →
 * TickerEvent (with the 24h accumulated volume and value), `orderbook` → BookTopEvent from its first
 * unit. Times are the exchange's (`trade_timestamp` for trades, `timestamp` otherwise). Other frame types
 * (`myOrder`, `myAsset`, status frames) are ignored here.
 */
export function parseUpbitFrame(frame: Frame, out: MarketEvent[]): Parsed {
  const type = pick(frame, 'type', 'ty');
  if (type !== 'trade' && type !== 'ticker' && type !== 'orderbook') return Parsed.Ignored;
  const code = pick(frame, 'code', 'cd');
  if (typeof code !== 'string') throw new MalformedRecord(`${type} frame without code`);
  const market = marketFromUpbitCode(code);
  if (type === 'trade') {
    const ts = epochMs(Number(pick(frame, 'trade_timestamp', 'ttms') ?? pick(frame, 'timestamp', 'tms')), 'trade_timestamp');
    const askBid = pick(frame, 'ask_bid', 'ab');
    const sid = pick(frame, 'sequential_id', 'sid');
    out.push(
      tradeEvent(
        market,
        ts,
        positive(pick(frame, 'trade_price', 'tp') as number, 'trade_price'),
        nonNegative(pick(frame, 'trade_volume', 'tv') as number, 'trade_volume'),
        askBid === 'BID' ? 'buy' : askBid === 'ASK' ? 'sell' : undefined,
        typeof sid === 'number' ? sid : undefined,
      ),
    );
    return Parsed.Events;
  }
  const ts = epochMs(Number(pick(frame, 'timestamp', 'tms')), 'timestamp');
  if (type === 'ticker') {
    const volume24h = Number(pick(frame, 'acc_trade_volume_24h', 'atv24h'));
    const value24h = Number(pick(frame, 'acc_trade_price_24h', 'atp24h'));
    out.push({
      kind: 'ticker',
      market,
      ts,
      price: positive(pick(frame, 'trade_price', 'tp') as number, 'trade_price'),
      ...(Number.isFinite(volume24h) ? { volume24h } : {}),
      ...(Number.isFinite(value24h) ? { value24h } : {}),
    });
    return Parsed.Events;
  }
  const units = pick(frame, 'orderbook_units', 'obu');
  if (!Array.isArray(units) || units.length === 0) throw new MalformedRecord('orderbook frame without units');
  const top = units[0] as Frame;
  out.push({
    kind: 'book',
    market,
    ts,
    bidPrice: positive(pick(top, 'bid_price', 'bp') as number, 'bid_price'),
    bidSize: nonNegative(pick(top, 'bid_size', 'bs') as number, 'bid_size'),
    askPrice: positive(pick(top, 'ask_price', 'ap') as number, 'ask_price'),
    askSize: nonNegative(pick(top, 'ask_size', 'as') as number, 'ask_size'),
  });
  return Parsed.Events;
}

/** Upbit captures: one frame per line in any capture line form (see parseCaptureLine). */
export class UpbitCaptureParser implements RecordParser {
  parse(record: string, out: MarketEvent[]): Parsed {
    const line = parseCaptureLine(record);
    if (line === undefined || line.url !== undefined) return Parsed.Ignored;
    const frame = parseJson(line.json);
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) throw new MalformedRecord('frame is not a JSON object');
    return parseUpbitFrame(frame as Frame, out);
  }
}
