import { WINDOWS } from '../core/index.js';
import { SNAPSHOT_FIELDS, type FeatureSelection } from './output.js';
import { ROW, ROW_AT, type PackedBatch } from './snapshot-rows.js';

/** What fills a gap between two constant pieces of a line: a row's number at an offset ≥ 0, or a table entry. */
const MARKET_TEXT = -1;
const REGIME_TEXT = -2;
/** The longest text String(n) gives a double ("-1.2345678901234567e-308"). */
const NUMBER_MAX = 24;
const STAT_OFFSET = { vwap: 0, volume: 1, value: 2, trades: 3 } as const;

/** One line's shape: constant UTF-8 pieces, and between piece k and k + 1 what `fill[k]` names. */
interface LineShape {
  readonly pieces: readonly Uint8Array[];
  /**
   * The same pieces as little-endian 32-bit words, piece k's from words[wordAt[k]] to words[wordAt[k + 1]]:
   * written four bytes at a time, the last word's spare bytes overwritten by what follows (a piece is
   * 10-20 bytes, and a byte at a time was the largest part of writing a line).
   */
  readonly words: Int32Array;
  readonly wordAt: Int32Array;
  readonly fill: Int32Array;
  /** For a window figure, the gap of the same figure in the window before it (-1: none): equal numbers are copied, not formatted again. */
  readonly same: Int32Array;
  /** The most bytes a line takes, besides its market's and regime's text. */
  readonly most: number;
}

/**
 * Packed snapshot rows (snapshot-rows.ts) to JSON lines, written as UTF-8 straight into a byte buffer: the
 * bytes JSON.stringify writes for the selected part of each snapshot (snapshotSerializer), without an
 * object a row for it to walk, a string a line or its UTF-8 encoding. The keys and punctuation between the
 * values are made once per selection; each number is the text String(n) gives, which is JSON.stringify's
 * for every finite double (-0 included), formatted here for most figures (`number`: String(n) alone costs
 * what JSON.stringify does), and `null` for NaN and ±Infinity as JSON.stringify writes them;
 * market names and regime records go through JSON.stringify once when their table entry arrives (their
 * escapes and non-ASCII characters included).
 */
export class PackedRowJson {
  readonly #plain: LineShape;
  readonly #touched: LineShape | undefined;
  /** Each table entry's JSON as UTF-8, and how many more bytes than UTF-16 units it takes (for `chars`). */
  readonly #markets: Uint8Array[] = [];
  readonly #marketExtra: number[] = [];
  readonly #regimes: Uint8Array[] = [];
  readonly #regimeExtra: number[] = [];
  /** UTF-16 units of the lines written so far (what a string of them would measure). */
  chars = 0;

  /** Where each gap's text of the line being written starts, and its length. */
  readonly #from: Int32Array;
  readonly #length: Int32Array;

  constructor(selection: FeatureSelection) {
    this.#plain = shapeOf(selection, false);
    this.#touched = selection.fields.includes('touch') ? shapeOf(selection, true) : undefined;
    const gaps = (this.#touched ?? this.#plain).fill.length;
    this.#from = new Int32Array(gaps);
    this.#length = new Int32Array(gaps);
  }

  /**
   * Writes a batch's lines, each with its newline, into `out` from `at`; returns where they end, or -1 when
   * `out` ran out of room (nothing is lost: call again with a larger buffer, the tables are only added once).
   */
  write(batch: PackedBatch, out: Uint8Array, at: number): number {
    this.#learn(batch);
    const r = batch.rows;
    const touched = this.#touched;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let chars = 0;
    for (let i = 0; i < batch.count; i++) {
      const row = i * ROW;
      const shape = touched !== undefined && r[row + ROW_AT.touch] !== 0 ? touched : this.#plain;
      const market = this.#markets[r[row + ROW_AT.market] as number] as Uint8Array;
      const regime = this.#regimes[r[row + ROW_AT.regime] as number] as Uint8Array;
      // Three bytes more: a piece's last word may write past its end.
      if (out.length - at < shape.most + market.length + regime.length + 3) return -1;
      const start = at;
      let extra = 0;
      const { pieces, words, wordAt, fill, same } = shape;
      const from = this.#from;
      const length = this.#length;
      for (let k = 0; k < fill.length; k++) {
        at = put(words, wordAt[k] as number, wordAt[k + 1] as number, view, at, (pieces[k] as Uint8Array).length);
        const what = fill[k] as number;
        if (what >= 0) {
          const before = same[k] as number;
          from[k] = at;
          // A short window often holds what the one before it holds (1m, 3m and 5m on 5-minute candles).
          if (before >= 0 && r[row + what] === r[row + (fill[before] as number)]) {
            const start = from[before] as number;
            const end = start + (length[before] as number);
            for (let j = start; j < end; j++) out[at++] = out[j] as number;
          } else at = number(r[row + what] as number, out, at);
          length[k] = at - (from[k] as number);
        } else if (what === MARKET_TEXT) {
          at = copy(market, out, at);
          extra += this.#marketExtra[r[row + ROW_AT.market] as number] as number;
        } else {
          at = copy(regime, out, at);
          extra += this.#regimeExtra[r[row + ROW_AT.regime] as number] as number;
        }
      }
      at = put(words, wordAt[fill.length] as number, wordAt[fill.length + 1] as number, view, at, (pieces[fill.length] as Uint8Array).length);
      chars += at - start - extra;
    }
    // Counted once the whole batch fits: a batch written again into a larger buffer counts once.
    this.chars += chars;
    return at;
  }

  #learn(batch: PackedBatch): void {
    // A batch carries the entries first seen in it; one written again (a larger buffer) is not learned twice.
    if (this.#learned === batch) return;
    this.#learned = batch;
    for (const m of batch.markets) this.#add(this.#markets, this.#marketExtra, JSON.stringify(m));
    for (const g of batch.regimes) this.#add(this.#regimes, this.#regimeExtra, JSON.stringify(g));
  }

  #learned: PackedBatch | undefined;

  #add(table: Uint8Array[], extra: number[], json: string): void {
    const bytes = Buffer.from(json, 'utf8');
    table.push(bytes);
    extra.push(bytes.length - json.length);
  }
}

/** A line's constant pieces and what goes between them, for a row with or without a touch. */
function shapeOf(selection: FeatureSelection, touched: boolean): LineShape {
  const pieces: string[] = [];
  const fill: number[] = [];
  const same: number[] = [];
  /** The gap of each stat in the window last written. */
  const lastOfStat = new Map<string, number>();
  let text = '{"market":';
  const gap = (what: number, before = -1): void => {
    pieces.push(text);
    fill.push(what);
    same.push(before);
    text = '';
  };
  gap(MARKET_TEXT);
  text += ',"ts":';
  gap(ROW_AT.ts);
  const scalar = { price: ROW_AT.price, volatility: ROW_AT.volatility, position: ROW_AT.position, high: ROW_AT.high, low: ROW_AT.low } as const;
  for (const f of SNAPSHOT_FIELDS) {
    if (!selection.fields.includes(f)) continue;
    if (f === 'windows') {
      text += ',"windows":{';
      selection.windows.forEach((w, k) => {
        text += `${k === 0 ? '' : ','}${JSON.stringify(w)}:{`;
        selection.stats.forEach((stat, j) => {
          text += `${j === 0 ? '' : ','}${JSON.stringify(stat)}:`;
          gap(ROW_AT.windows + WINDOWS.indexOf(w) * 4 + STAT_OFFSET[stat], lastOfStat.get(stat));
          lastOfStat.set(stat, fill.length - 1);
        });
        text += '}';
      });
      text += '}';
    } else if (f === 'regime') {
      text += ',"regime":';
      gap(REGIME_TEXT);
    } else if (f === 'touch') {
      if (!touched) continue;
      text += ',"touch":{';
      (['bidPrice', 'bidSize', 'askPrice', 'askSize'] as const).forEach((k, j) => {
        text += `${j === 0 ? '' : ','}"${k}":`;
        gap(ROW_AT.touch + 1 + j);
      });
      text += '}';
    } else {
      text += `,${JSON.stringify(f)}:`;
      gap(scalar[f]);
    }
  }
  text += '}\n';
  pieces.push(text);
  const bytes = pieces.map((p) => Buffer.from(p, 'latin1'));
  const numbers = fill.filter((f) => f >= 0).length;
  const words: number[] = [];
  const wordAt = [0];
  for (const b of bytes) {
    for (let i = 0; i < b.length; i += 4) words.push((b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16) | ((b[i + 3] ?? 0) << 24));
    wordAt.push(words.length);
  }
  return { pieces: bytes, words: Int32Array.from(words), wordAt: Int32Array.from(wordAt), fill: Int32Array.from(fill), same: Int32Array.from(same), most: bytes.reduce((n, b) => n + b.length, 0) + NUMBER_MAX * numbers };
}

/** A piece's words from `at`; returns where the piece (`length` bytes) ends. */
function put(words: Int32Array, from: number, to: number, view: DataView, at: number, length: number): number {
  for (let w = from, p = at; w < to; w++, p += 4) view.setInt32(p, words[w] as number, true);
  return at + length;
}

function copy(from: Uint8Array, out: Uint8Array, at: number): number {
  for (let i = 0; i < from.length; i++) out[at++] = from[i] as number;
  return at;
}

/** Exact powers of ten as doubles (10^0 … 10^22). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** 10^-6 … 10^15 as the doubles nearest them, by decimal exponent + 6. */
const DECADES = Array.from({ length: 22 }, (_, i) => Number(`1e${i - 6}`));
/** 2^27 + 1: Veltkamp's constant, splitting a double into two halves whose products are exact. */
const SPLITTER = 134217729;
/** Within this of a half, the exact product's rounding is left to String(n) (a tie, or too close to tell). */
const TIE = 1e-6;

/**
 * `n` as JSON.stringify writes it: `null` unless finite, else the shortest decimal that reads back as `n`,
 * the closest one when several are that short (String(n), ECMAScript's Number::toString). String(n) takes
 * about 250 ns a number on this machine and a string to copy; here the digits come from the number scaled
 * to 15, 16 or 17 significant digits (k places) and rounded, m:
 * - m / 10^k === |n| (a correctly rounded division of numbers below 2^53: the double nearest m × 10^-k)
 *   says the decimal m × 10^-k reads back as n.
 * - 15 digits: below 10^15 an ulp of the scaled number is under 0.23, so at most one 15-digit decimal is
 *   within half an ulp of n, and the scaled product rounded finds it if there is one. With its trailing
 *   zeros cut it is the shortest: a shorter one is the same number.
 * - 16 digits (none of 15 reads back): an ulp of the scaled number is 0.22 to 2.2 there, so m - 1, m and
 *   m + 1 (m the exact product rounded: the closest) are the only ones that may read back. Number::toString
 *   takes the closest that does: m when it reads back; when only a neighbour does (n next to a power of
 *   two, where the lower half-interval is narrower), String(n) writes it.
 * - 17 digits (none of 16 reads back): the closest 17-digit decimal is within 0.23 of an ulp, so it always
 *   reads back, and it is the answer.
 * The products are made exact (Dekker's two-product: high part and error) before rounding, and one within
 * TIE of a half is left to String(n). Only plain notation is written here (10^-6 ≤ |n| < 10^15, and a
 * millionth away from a power of ten, where the digit count is certain); String(n) writes the rest.
 */
function number(n: number, out: Uint8Array, at: number): number {
  const a = n < 0 ? -n : n;
  if (!(a >= 1e-6 && a < 1e15)) return text(n, out, at);
  // e: the decimal exponent, 10^e ≤ a < 10^(e + 1).
  let lowest = 0;
  let highest = DECADES.length - 1;
  while (lowest < highest) {
    const middle = (lowest + highest + 1) >> 1;
    if ((DECADES[middle] as number) <= a) lowest = middle;
    else highest = middle - 1;
  }
  const low = DECADES[lowest] as number;
  if (!(a > low * 1.000001 && a < low * 9.99999)) return text(n, out, at);
  const e = lowest - 6;
  let k = 14 - e;
  let scale = POW10[k] as number;
  let m = Math.round(a * scale);
  if (m / scale !== a) {
    k++;
    scale = POW10[k] as number;
    let t = SPLITTER * a;
    const ah = t - (t - a);
    const al = a - ah;
    t = SPLITTER * scale;
    let sh = t - (t - scale);
    let sl = scale - sh;
    // a × scale exactly: hi + lo.
    let hi = a * scale;
    let lo = ah * sh - hi + ah * sl + al * sh + al * sl;
    m = Math.round(hi);
    const rest = hi - m + lo;
    if (rest >= 0.5 - TIE || rest <= -0.5 + TIE) {
      if (rest > 0.5 + TIE) m++;
      else if (rest < -0.5 - TIE) m--;
      else return text(n, out, at);
    }
    if (m >= 2 ** 53 - 1) return text(n, out, at);
    if (m / scale !== a) {
      if ((m + 1) / scale === a || (m - 1) / scale === a) return text(n, out, at);
      k++;
      scale = POW10[k] as number;
      t = SPLITTER * scale;
      sh = t - (t - scale);
      sl = scale - sh;
      hi = a * scale;
      lo = ah * sh - hi + ah * sl + al * sh + al * sl;
      // hi ≥ 10^16 > 2^53 is a whole number; the exact product is hi + lo, its nearest whole number hi + up.
      const up = Math.round(lo);
      const off = lo - up;
      if (off >= 0.5 - TIE || off <= -0.5 + TIE) return text(n, out, at);
      let high = Math.floor(hi / 1e8);
      // high × 10^8 is exact (high × 390625 < 2^53, times 2^8), and so is hi less it.
      let rem = hi - high * 1e8 + up;
      while (rem < 0) {
        rem += 1e8;
        high--;
      }
      while (rem >= 1e8) {
        rem -= 1e8;
        high++;
      }
      if (n < 0) out[at++] = 45; // '-'
      return decimal(high, rem, k, out, at);
    }
  }
  if (n < 0) out[at++] = 45; // '-'
  const high = Math.floor(m / 1e8);
  return decimal(high, m - high * 1e8, k, out, at);
}

/** String(n), or null when not finite. */
function text(n: number, out: Uint8Array, at: number): number {
  const t = n - n === 0 ? String(n) : 'null';
  for (let i = 0; i < t.length; i++) out[at++] = t.charCodeAt(i);
  return at;
}

/** (high × 10^8 + low) × 10^-k in plain notation (high < 2^31, low < 10^8, both whole), without trailing zeros after the point. */
function decimal(high: number, low: number, k: number, out: Uint8Array, at: number): number {
  // The digits are top's, then bottom's padded to `padded` (eight when high has digits).
  let top = high | 0;
  let bottom = low | 0;
  let padded = 8;
  if (top === 0) {
    top = bottom;
    bottom = 0;
    padded = 0;
  }
  while (k > 0) {
    if (padded > 0) {
      const q = (bottom / 10) | 0;
      if (q * 10 !== bottom) break;
      bottom = q;
      padded--;
    } else {
      const q = (top / 10) | 0;
      if (q * 10 !== top) break;
      top = q;
    }
    k--;
  }
  let count = padded + 1;
  for (let p = 10; p <= top; p *= 10) count++;
  // At least one digit before the point, zeros between it and a small number's digits.
  const length = k === 0 ? count : count > k ? count + 1 : k + 2;
  // Right to left: the point goes in once k digits are written.
  let i = at + length;
  let j = 0;
  for (; j < padded; j++) {
    if (j === k && k > 0) out[--i] = 46; // '.'
    const q = (bottom / 10) | 0;
    out[--i] = 48 + bottom - q * 10;
    bottom = q;
  }
  do {
    if (j === k && k > 0) out[--i] = 46;
    const q = (top / 10) | 0;
    out[--i] = 48 + top - q * 10;
    top = q;
    j++;
  } while (top > 0);
  if (j <= k) {
    while (j < k) {
      out[--i] = 48;
      j++;
    }
    out[--i] = 46;
    out[--i] = 48;
  }
  return at + length;
}
