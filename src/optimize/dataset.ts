/**
 * The data of a search, named by content: every file the replay reads, with its SHA-256. A worker on
 * another machine finds the same files under its own folders by hash (any path, any name), lays them
 * out as the coordinator had them (same relative paths, so market names and file order match) and
 * reads them the same way, so every machine backtests the same events.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { MarketEvent } from '../core/market.js';
import { expandPaths, readAll, type ReplayFormat, type ReplayStats } from '../market-data/index.js';
import { groupedNumber } from '../core/grouped-number.js';

export interface DataFile {
  /** Which `--data` argument the file came from (its position). */
  readonly root: number;
  /** Path under that argument (`/`-separated); a file given directly: its name. */
  readonly path: string;
  /** The argument was a folder (its files are read as found in folders: non-data files skipped). */
  readonly inFolder: boolean;
  readonly size: number;
  readonly sha256: string;
}

export interface DatasetManifest {
  readonly files: readonly DataFile[];
  readonly market?: string;
  readonly format?: string;
}

export interface Dataset {
  /** SHA-256 of the manifest: equal ids, equal events. */
  readonly id: string;
  readonly manifest: DatasetManifest;
}

/** A file of the search's data is not on this machine: names the file, its size and hash, and where it was looked for. */
export class DatasetMissingError extends Error {
  override name = 'DatasetMissingError';
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

export function datasetOf(manifest: DatasetManifest): Dataset {
  return { id: createHash('sha256').update(JSON.stringify(manifest)).digest('hex'), manifest };
}

/**
 * The manifest of `paths` as the replay expands them; files the read skipped as not market data
 * (`stats`) are left out, so a worker need not have them.
 */
export async function describeDataset(paths: readonly string[], options: { market?: string; format?: string; stats?: ReplayStats } = {}): Promise<Dataset> {
  const skipped = new Set((options.stats?.files ?? []).filter((f) => f.skipped !== undefined).map((f) => resolve(f.file)));
  const files: DataFile[] = [];
  for (let root = 0; root < paths.length; root++) {
    const arg = paths[root] as string;
    const inFolder = (await stat(arg)).isDirectory();
    for (const { file } of await expandPaths([arg])) {
      if (skipped.has(resolve(file))) continue;
      const path = inFolder ? relative(arg, file).split('\\').join('/') : basename(file);
      files.push({ root, path, inFolder, size: (await stat(file)).size, sha256: await sha256File(file) });
    }
  }
  return datasetOf({ files, ...(options.market !== undefined ? { market: options.market } : {}), ...(options.format !== undefined ? { format: options.format } : {}) });
}

const SKIP_DIRS = new Set(['node_modules', '.git']);

/**
 * Finds files by content under a worker's folders. A file at the same relative path with the same size
 * is hashed first; otherwise every file of the same size is. Hashes are remembered by path, size and
 * modification time.
 */
export class DataLocator {
  readonly #roots: readonly string[];
  readonly #hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

  constructor(roots: readonly string[]) {
    this.#roots = roots.map((r) => resolve(r));
  }

  get roots(): readonly string[] {
    return this.#roots;
  }

  async #hash(path: string, size: number, mtimeMs: number): Promise<string> {
    const known = this.#hashes.get(path);
    if (known && known.size === size && known.mtimeMs === mtimeMs) return known.sha256;
    const sha256 = await sha256File(path);
    this.#hashes.set(path, { size, mtimeMs, sha256 });
    return sha256;
  }

  async #matches(path: string, file: DataFile): Promise<boolean> {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || info.size !== file.size) return false;
    return (await this.#hash(path, info.size, info.mtimeMs)) === file.sha256;
  }

  /** Every file under the roots with `size` bytes. */
  async #sized(size: number): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) continue;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && (await stat(full)).size === size) out.push(full);
      }
    };
    for (const root of this.#roots) {
      const info = await stat(root).catch(() => undefined);
      if (info?.isDirectory()) await walk(root);
      else if (info?.isFile() && info.size === size) out.push(root);
    }
    return out;
  }

  /** The local path of `file`, or DatasetMissingError. */
  async locate(file: DataFile): Promise<string> {
    for (const root of this.#roots) {
      const candidate = join(root, file.path);
      if (await this.#matches(candidate, file)) return candidate;
    }
    for (const candidate of await this.#sized(file.size)) if (await this.#matches(candidate, file)) return candidate;
    throw new DatasetMissingError(
      `no file with the content of ${file.path} (${groupedNumber(file.size)} bytes, sha256 ${file.sha256.slice(0, 16)}…) under ${this.#roots.join(', ')}: copy the search's data to this machine or point --data at it`,
    );
  }
}

/**
 * The dataset laid out under a temporary folder as the coordinator had it (symbolic links to the
 * located files), given to `read` as the arguments the coordinator read (its `--data`, in order); the
 * folder is removed when `read` settles.
 */
export async function withDatasetFiles<T>(dataset: Dataset, locator: DataLocator, read: (paths: string[]) => Promise<T>): Promise<T> {
  const located = await Promise.all(dataset.manifest.files.map(async (f) => ({ file: f, local: await locator.locate(f) })));
  const base = join(tmpdir(), `coinrx-dataset-${dataset.id.slice(0, 16)}-${process.pid}-${++layouts}`);
  await rm(base, { recursive: true, force: true });
  const args: string[] = [];
  for (const { file, local } of located) {
    const target = join(base, String(file.root), ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await symlink(local, target);
    const arg = file.inFolder ? join(base, String(file.root)) : target;
    if (!args.includes(arg)) args[file.root] = arg;
  }
  try {
    return await read(args.filter((a) => a !== undefined));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

let layouts = 0;

/** The dataset's events, read whole into memory in the coordinator's order. */
export function loadDataset(dataset: Dataset, locator: DataLocator): Promise<MarketEvent[]> {
  const m = dataset.manifest;
  return withDatasetFiles(dataset, locator, async (paths) => {
    const { events } = await readAll(paths, { ...(m.market !== undefined ? { market: m.market } : {}), ...(m.format !== undefined ? { format: m.format as ReplayFormat } : {}) });
    return events;
  });
}
