/** A small argv parser: `--flag value`, `--flag=value`, repeatable flags and multi-value `--data a b c`. */

export class UsageError extends Error {
  override name = 'UsageError';
}

/** An option the command does not have; the command line names the nearest one it has. */
export class UnknownFlagError extends UsageError {
  constructor(
    readonly flag: string,
    readonly known: readonly string[],
  ) {
    super(`unknown option --${flag}`);
  }
}

export interface FlagSpec {
  /** `string`: one value (last wins); `list`: every value, also several after one flag; `boolean`: no value. */
  readonly type: 'string' | 'list' | 'boolean';
  readonly description: string;
  readonly valueName?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedArgs {
  readonly strings: ReadonlyMap<string, string>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly booleans: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const strings = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const booleans = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = eq > 0 ? token.slice(2, eq) : token.slice(2);
    const spec = specs[name];
    if (!spec) throw new UnknownFlagError(name, Object.keys(specs));
    if (spec.type === 'boolean') {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      booleans.add(name);
      continue;
    }
    const values: string[] = [];
    if (eq > 0) values.push(token.slice(eq + 1));
    else {
      while (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) {
        values.push(argv[++i] as string);
        if (spec.type === 'string') break;
      }
    }
    if (values.length === 0) throw new UsageError(`--${name} needs a value${spec.valueName ? ` (${spec.valueName})` : ''}`);
    if (spec.type === 'string') strings.set(name, values[values.length - 1] as string);
    else lists.set(name, [...(lists.get(name) ?? []), ...values]);
  }
  return { strings, lists, booleans, positionals };
}

export function formatFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const value = spec.type === 'boolean' ? '' : ` <${spec.valueName ?? 'value'}>${spec.type === 'list' ? '...' : ''}`;
    return [`  --${name}${value}`, spec.description] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => left.padEnd(width) + right).join('\n');
}
