/** One column of a table: numbers, `null` where the row has no value for it. */
export type Column = (number | null)[];

/**
 * Rows of numbers keyed by event time, in bounded memory: when it grows past `maxRows` every second
 * row is dropped (the first and the newest stay), so a long run keeps its whole span at a coarser
 * resolution. Columns may appear later than the first row: their earlier cells are `null`.
 */
export class BoundedTable {
  readonly ts: number[] = [];
  readonly #columns = new Map<string, Column>();
  readonly #maxRows: number;

  constructor(maxRows = 2000) {
    if (!(maxRows >= 4)) throw new RangeError(`BoundedTable: maxRows must be at least 4, got ${maxRows}`);
    this.#maxRows = maxRows;
  }

  get length(): number {
    return this.ts.length;
  }

  /** Appends a row; a row at the same time as the last one replaces its values. */
  add(ts: number, values: Readonly<Record<string, number | null>>): void {
    const last = this.ts.length - 1;
    if (last >= 0 && this.ts[last] === ts) {
      for (const [name, value] of Object.entries(values)) this.#column(name)[last] = value;
      return;
    }
    this.ts.push(ts);
    for (const [name, column] of this.#columns) column.push(name in values ? (values[name] ?? null) : null);
    for (const [name, value] of Object.entries(values)) if (!this.#columns.has(name)) this.#column(name)[this.ts.length - 1] = value;
    if (this.ts.length > this.#maxRows) this.#halve();
  }

  column(name: string): Column {
    return this.#columns.get(name) ?? this.ts.map(() => null);
  }

  names(): string[] {
    return [...this.#columns.keys()];
  }

  #column(name: string): Column {
    let column = this.#columns.get(name);
    if (!column) {
      column = this.ts.map(() => null);
      this.#columns.set(name, column);
    }
    return column;
  }

  /** Keeps rows 0, 2, 4, … and always the newest one. */
  #halve(): void {
    const keep = (_: unknown, i: number, all: readonly unknown[]): boolean => i % 2 === 0 || i === all.length - 1;
    const ts = this.ts.filter(keep);
    this.ts.length = 0;
    this.ts.push(...ts);
    for (const [name, column] of this.#columns) this.#columns.set(name, column.filter(keep));
  }
}
