import type { MarketEvent, MarketSymbol } from '../../core/index.js';
import { BinanceFrames } from './binance-frames.js';
import { CONTROL, parseCaptureLine } from './capture-line.js';
import type { ParseOutcome, RecordParser } from './record-parser.js';
import { isUpbitFrame, UpbitFrames } from './upbit-frames.js';

export interface WsCaptureOptions {
  /** Derivatives capture (file name says usdm/futures): Binance symbols get the `:QUOTE` settle suffix. */
  futures: boolean;
  market?: MarketSymbol;
  /** Rebuild Binance depth books and emit their tops (default true). */
  depthTops: boolean;
}

/** One websocket capture line → events, dispatching each frame to the exchange whose shape it has. */
export class WsCaptureParser implements RecordParser {
  lastError?: string;
  readonly #upbit: UpbitFrames;
  readonly #binance: BinanceFrames;

  constructor(options: WsCaptureOptions) {
    this.#upbit = new UpbitFrames(options.market);
    this.#binance = new BinanceFrames(options.futures, options.market, options.depthTops);
  }

  /** Depth sequence breaks seen (Binance); each silences that book until the next snapshot. */
  get gaps(): number {
    return this.#binance.gaps;
  }

  parse(record: string, out: MarketEvent[]): ParseOutcome {
    const frame = parseCaptureLine(record);
    if (frame === CONTROL) return 'ignored';
    if ('error' in frame) {
      this.lastError = frame.error;
      return 'malformed';
    }
    const msg = frame.msg;
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return 'ignored';
    const f = msg as Record<string, unknown>;
    if (isUpbitFrame(f)) {
      const outcome = this.#upbit.handle(f, out);
      if (outcome === 'malformed') this.lastError = this.#upbit.lastError;
      return outcome;
    }
    if (BinanceFrames.isBinanceFrame(f)) {
      const outcome = this.#binance.handle(f, frame.recvMs, out);
      if (outcome === 'malformed') this.lastError = this.#binance.lastError;
      return outcome;
    }
    return 'ignored';
  }
}
