import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Float64, makeVector, RecordBatchFileWriter, Table, TimestampMillisecond, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import type { FeatureSnapshot, WindowName } from '../core/index.js';
import type { FeatureSelection, WindowStat } from './output.js';

const ROWS_PER_BATCH = 65_536;
const REGIME_KEYS = ['1h', '6h', '12h', '24h'] as const;
const TOUCH_KEYS = ['bidPrice', 'bidSize', 'askPrice', 'askSize'] as const;

/** One Float64 column filled from each snapshot. */
interface NumberColumn {
  readonly name: string;
  readonly get: (s: FeatureSnapshot) => number;
}

/**
 * Feature snapshots as an Arrow IPC file (Feather v2: `pandas.read_feather`, `polars.read_ipc`), one
 * flat column per value: `market`, `ts` (timestamp, ms), `price`, `vwap_1m` … `trades_1M`,
 * `volatility`, `position`, `high`, `low`, `regime_1h` … `regime_24h`, `touch_bidPrice` … (null
 * without book data), as selected. Rows go out in record batches of 65,536, so memory stays flat.
 */
export class ArrowFeatureWriter {
  readonly #out: Writable;
  readonly #writer = new RecordBatchFileWriter();
  readonly #numbers: NumberColumn[] = [];
  readonly #regime: boolean;
  readonly #touch: boolean;
  #markets: string[] = [];
  #ts = new Float64Array(ROWS_PER_BATCH);
  #values: Float64Array[];
  #regimes: string[][] = REGIME_KEYS.map(() => []);
  #touches: (number | null)[][] = TOUCH_KEYS.map(() => []);
  #rows = 0;
  lines = 0;

  constructor(path: string, selection: FeatureSelection) {
    const fields = new Set(selection.fields);
    if (fields.has('price')) this.#numbers.push({ name: 'price', get: (s) => s.price });
    if (fields.has('windows')) {
      for (const w of selection.windows) for (const stat of selection.stats) this.#numbers.push({ name: `${stat}_${w}`, get: windowGetter(w, stat) });
    }
    for (const f of ['volatility', 'position', 'high', 'low'] as const) if (fields.has(f)) this.#numbers.push({ name: f, get: (s) => s[f] });
    this.#regime = fields.has('regime');
    this.#touch = fields.has('touch');
    this.#values = this.#numbers.map(() => new Float64Array(ROWS_PER_BATCH));
    this.#out = createWriteStream(path);
    this.#writer.toNodeStream().pipe(this.#out);
  }

  write(s: FeatureSnapshot): void {
    const row = this.#rows++;
    this.#markets.push(s.market);
    this.#ts[row] = s.ts;
    for (let c = 0; c < this.#numbers.length; c++) (this.#values[c] as Float64Array)[row] = (this.#numbers[c] as NumberColumn).get(s);
    if (this.#regime) for (let k = 0; k < REGIME_KEYS.length; k++) (this.#regimes[k] as string[]).push(s.regime[REGIME_KEYS[k] as string] ?? '');
    if (this.#touch) for (let k = 0; k < TOUCH_KEYS.length; k++) (this.#touches[k] as (number | null)[]).push(s.touch ? s.touch[TOUCH_KEYS[k] as (typeof TOUCH_KEYS)[number]] : null);
    this.lines++;
    if (this.#rows === ROWS_PER_BATCH) this.#flush();
  }

  /** Writes the rows gathered so far as record batches (whole batches only, except at close). */
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
      market: vectorFromArray(this.#markets, new Utf8()),
      ts: vectorFromArray(Array.from(this.#ts.subarray(0, n)), new TimestampMillisecond()),
    };
    this.#numbers.forEach((column, c) => (columns[column.name] = makeVector((this.#values[c] as Float64Array).slice(0, n))));
    if (this.#regime) REGIME_KEYS.forEach((key, k) => (columns[`regime_${key}`] = vectorFromArray(this.#regimes[k] as string[], new Utf8())));
    if (this.#touch) TOUCH_KEYS.forEach((key, k) => (columns[`touch_${key}`] = vectorFromArray(this.#touches[k] as (number | null)[], new Float64())));
    for (const batch of new Table(columns).batches) this.#writer.write(batch);
    this.#rows = 0;
    this.#markets = [];
    this.#regimes = REGIME_KEYS.map(() => []);
    this.#touches = TOUCH_KEYS.map(() => []);
  }
}

function windowGetter(w: WindowName, stat: WindowStat): (s: FeatureSnapshot) => number {
  return (s) => s.windows[w][stat];
}
