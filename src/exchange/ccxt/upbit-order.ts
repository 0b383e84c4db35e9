import type { Order, OrderStatus } from '../../core/index.js';
import { upbitMarket } from '../../market-data/symbols.js';

/**
 * An Upbit order as the engine sees it, from either of Upbit's shapes: the REST order
 * (`uuid`, `market`, `side: bid|ask`, `volume`, `executed_volume`, `executed_funds` or `trades[].funds`,
 * `paid_fee`, `state: wait|done|cancel`, `created_at`) or the private websocket's `myOrder` frame
 * (`code`, `ask_bid`, `state: wait|trade|done|cancel`, `remaining_volume`, `executed_volume`,
 * `executed_funds`, `order_timestamp`; on `trade` frames `price`/`volume` are the trade's, so the order's
 * price and size come from `previous` or from executed + remaining).
 */
type Raw = Record<string, unknown>;

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.length > 0 ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

function status(state: unknown): OrderStatus {
  switch (state) {
    case 'done':
      return 'filled';
    case 'cancel':
      return 'cancelled';
    default:
      return 'open'; // wait, watch, trade
  }
}

/** Maps a raw Upbit order (REST or `myOrder`) to an `Order`; undefined when it lacks the essentials. */
export function upbitRawToOrder(raw: Raw, previous?: Order, now = Date.now()): Order | undefined {
  const id = typeof raw['uuid'] === 'string' ? raw['uuid'] : undefined;
  const code = String(raw['market'] ?? raw['code'] ?? '');
  const market = upbitMarket(code) ?? previous?.market;
  const sideRaw = String(raw['side'] ?? raw['ask_bid'] ?? '').toLowerCase();
  const side = sideRaw === 'bid' ? 'buy' : sideRaw === 'ask' ? 'sell' : previous?.side;
  if (id === undefined || market === undefined || side === undefined) return undefined;
  const ws = raw['type'] === 'myOrder';
  const filled = num(raw['executed_volume']) ?? previous?.filled ?? 0;
  const remaining = num(raw['remaining_volume']);
  const amount = ws ? (previous?.amount ?? (remaining !== undefined ? filled + remaining : num(raw['volume']) ?? 0)) : (num(raw['volume']) ?? previous?.amount ?? 0);
  const price = ws && raw['state'] === 'trade' ? (previous?.price ?? num(raw['price']) ?? 0) : (num(raw['price']) ?? previous?.price ?? 0);
  let cost = num(raw['executed_funds']);
  if (cost === undefined && Array.isArray(raw['trades']) && raw['trades'].length > 0) {
    cost = (raw['trades'] as Raw[]).reduce((s, t) => s + (num(t['funds']) ?? (num(t['price']) ?? 0) * (num(t['volume']) ?? 0)), 0);
  }
  const avg = num(raw['avg_price']);
  if (cost === undefined && avg !== undefined && avg > 0) cost = avg * filled;
  const created = typeof raw['created_at'] === 'string' ? Date.parse(raw['created_at']) : num(raw['order_timestamp']);
  const identifier = typeof raw['identifier'] === 'string' && raw['identifier'].length > 0 ? raw['identifier'] : previous?.clientId ?? '';
  const known = previous?.filled ?? 0;
  const order = {
    id,
    clientId: identifier,
    market,
    side,
    price,
    amount,
    status: status(raw['state']),
    filled,
    cost: cost ?? (filled === 0 ? 0 : previous && previous.filled === filled ? previous.cost : price * filled),
    fee: num(raw['paid_fee']) ?? previous?.fee ?? 0,
    ts: created !== undefined && Number.isFinite(created) ? created : (previous?.ts ?? now),
  };
  // Volume executed beyond what is known, without the funds it cost (an order's creation answer can carry
  // no `executed_funds`): priced at the limit, it became a fill under its final id `<uuid>:<executed>` that
  // the exchange's real funds, arriving later with the same executed amount, could never correct. It is
  // held back instead — the order as known so far, still open so that the adapter's poll looks it up — and
  // the frame or look-up that brings the funds makes the one fill.
  if (cost === undefined && filled > known) return { ...order, status: 'open', filled: known, cost: previous?.cost ?? 0, fee: previous?.fee ?? 0 };
  return order;
}
