import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Float64, makeData, makeVector, RecordBatchFileWriter, Table, TimestampMillisecond, Utf8, type Vector } from 'apache-arrow';
import { WINDOWS, type FeatureSnapshot } from '../core/index.js';
import { windowValue, type WindowField } from '../../streams/index.js';
import type { FeatureSelection } from './output.js';

const ROWS_PER_BATCH = 65_536;
const REGIME_KEYS = ['1h', '6h', '12h', '24h'] as const;
const TOUCH_KEYS = ['bidPrice', 'bidSize', 'askPrice', 'askSize'] as const;
const SCALARS = ['price', 'volatility', 'position', 'high', 'low'] as const;
type Scalar = (typeof SCALARS)[number];

/** Where a Float64 column's value is read: a snapshot field, or one figure of one window (index in WINDOWS). */
type NumberSource = { readonly field: Scalar } | { readonly window: number; readonly stat: WindowField };

/**
 * Feature snapshots as an Arrow IPC file (Feather v2: `pandas.read_feather`, `polars.read_ipc`), one
 * flat column per value: `market`, `ts` (timestamp, ms), `price`, `vwap_1m` … `trades_1M`,
 * `volatility`, `position`, `high`, `low`, `regime_1h` … `regime_24h`, `touch_bidPrice` … (null
 * without book data), as selected. Rows go out in record batches of 65,536, so memory stays flat.
 *
 * The columns are filled in place and handed to Arrow as they are: numbers into Float64Arrays (a window's
 * figure read from the snapshot's sums, without building its WindowStats), times into a BigInt64Array,
 * and the strings (markets, regimes) as UTF-8 bytes and offsets, each distinct string encoded once. Arrow's
 * builders took a call per value and encoded every string again, three quarters of an export's time on
 * the main thread; the file is the same, byte for byte.
 */
export class ArrowFeatureWriter {
  readonly #out: Writable;
  readonly #writer = new RecordBatchFileWriter();
  readonly #names: string[] = [];
  readonly #sources: NumberSource[] = [];
  readonly #regime: boolean;
  readonly #touch: boolean;
  readonly #market = new StringColumn();
  readonly #regimes = REGIME_KEYS.map(() => new StringColumn());
  readonly #ts = new BigInt64Array(ROWS_PER_BATCH);
  readonly #values: Float64Array[];
  readonly #touches = TOUCH_KEYS.map(() => new Float64Array(ROWS_PER_BATCH));
  /** Which rows have a touch, a bit each (Arrow's validity bitmap, shared by the four touch columns). */
  readonly #touchValid = new Uint8Array(Math.ceil(ROWS_PER_BATCH / 8 / 64) * 64);
  #touchRows = 0;
  #rows = 0;
  lines = 0;

  constructor(path: string, selection: FeatureSelection) {
    const fields = new Set(selection.fields);
    const scalar = (field: Scalar): void => {
      if (!fields.has(field)) return;
      this.#names.push(field);
      this.#sources.push({ field });
    };
    scalar('price');
    if (fields.has('windows')) {
      for (const w of selection.windows) {
        for (const stat of selection.stats) {
          this.#names.push(`${stat}_${w}`);
          this.#sources.push({ window: WINDOWS.indexOf(w), stat });
        }
      }
    }
    for (const f of SCALARS) if (f !== 'price') scalar(f);
    this.#regime = fields.has('regime');
    this.#touch = fields.has('touch');
    this.#values = this.#sources.map(() => new Float64Array(ROWS_PER_BATCH));
    this.#out = createWriteStream(path);
    this.#writer.toNodeStream().pipe(this.#out);
  }

  write(s: FeatureSnapshot): void {
    const row = this.#rows++;
    this.#market.push(s.market);
    this.#ts[row] = BigInt(s.ts);
    const sources = this.#sources;
    const values = this.#values;
    for (let c = 0; c < sources.length; c++) {
      const source = sources[c] as NumberSource;
      (values[c] as Float64Array)[row] = 'field' in source ? s[source.field] : windowValue(s.windows, source.window, source.stat);
    }
    if (this.#regime) for (let k = 0; k < REGIME_KEYS.length; k++) (this.#regimes[k] as StringColumn).push(s.regime[REGIME_KEYS[k] as string] ?? '');
    if (this.#touch) {
      const t = s.touch;
      if (t !== undefined) {
        this.#touchValid[row >> 3] = (this.#touchValid[row >> 3] as number) | (1 << (row & 7));
        this.#touchRows++;
        for (let k = 0; k < TOUCH_KEYS.length; k++) (this.#touches[k] as Float64Array)[row] = t[TOUCH_KEYS[k] as (typeof TOUCH_KEYS)[number]];
      }
    }
    this.lines++;
    if (this.#rows === ROWS_PER_BATCH) this.#flush();
  }

  /** Waits while the file's stream is behind (record batches are written whole, as they fill). */
  async drain(): Promise<void> {
    if (this.#out.writableNeedDrain) await once(this.#out, 'drain');
  }

  async close(): Promise<void> {
    if (this.#rows > 0 || this.lines === 0) this.#flush();
    this.#writer.finish();
    if (!this.#out.writableFinished) await once(this.#out, 'finish');
  }

  #flush(): void {
    const n = this.#rows;
    const columns: Record<string, Vector> = {
      market: this.#market.take(),
      ts: makeVector(makeData({ type: new TimestampMillisecond(), length: n, nullCount: 0, data: this.#ts.slice(0, n) })),
    };
    this.#names.forEach((name, c) => (columns[name] = makeVector((this.#values[c] as Float64Array).slice(0, n))));
    if (this.#regime) REGIME_KEYS.forEach((key, k) => (columns[`regime_${key}`] = (this.#regimes[k] as StringColumn).take()));
    if (this.#touch) {
      const nulls = n - this.#touchRows;
      // Without a null, Arrow leaves the bitmap out; with one, its builders' bitmap is padded to 64 bytes (the
      // same file either way). A null row's values are zeros.
      const nullBitmap = nulls === 0 ? new Uint8Array(0) : this.#touchValid.slice(0, Math.ceil(Math.ceil(n / 8) / 64) * 64);
      TOUCH_KEYS.forEach((key, k) => {
        const values = this.#touches[k] as Float64Array;
        columns[`touch_${key}`] = makeVector(makeData({ type: new Float64(), length: n, nullCount: nulls, nullBitmap, data: values.slice(0, n) }));
        values.fill(0, 0, n);
      });
      this.#touchValid.fill(0);
      this.#touchRows = 0;
    }
    for (const batch of new Table(columns).batches) this.#writer.write(batch);
    this.#rows = 0;
  }
}

/** A Utf8 column being filled: each distinct string's bytes encoded once, then copied per row. */
class StringColumn {
  static readonly #encoder = new TextEncoder();
  readonly #encoded = new Map<string, Uint8Array>();
  #offsets = new Int32Array(ROWS_PER_BATCH + 1);
  #bytes = new Uint8Array(ROWS_PER_BATCH * 16);
  #rows = 0;

  push(text: string): void {
    let encoded = this.#encoded.get(text);
    if (encoded === undefined) this.#encoded.set(text, (encoded = StringColumn.#encoder.encode(text)));
    const end = this.#offsets[this.#rows] as number;
    if (end + encoded.length > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(2 * this.#bytes.length, end + encoded.length));
      grown.set(this.#bytes.subarray(0, end));
      this.#bytes = grown;
    }
    this.#bytes.set(encoded, end);
    this.#offsets[++this.#rows] = end + encoded.length;
  }

  /** The rows so far as a Utf8 vector; the column starts again empty. */
  take(): Vector {
    const n = this.#rows;
    const end = this.#offsets[n] as number;
    const vector = makeVector(makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: this.#offsets.slice(0, n + 1), data: this.#bytes.slice(0, end) }));
    this.#rows = 0;
    return vector;
  }
}
