import { mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
// @ts-expect-error the build's helper is plain JavaScript without types
import { vendorZod } from '../../scripts/vendor-zod.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A compiled tree as tsc writes it: a schema built with zod over several lines, a module without zod. */
function compiledTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-vendor-zod-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  mkdirSync(join(dir, 'dist/src'), { recursive: true });
  writeFileSync(
    join(dir, 'dist/src/schema.js'),
    "import { z } from 'zod';\nexport const schema = z\n    .strictObject({ rate: z.number().positive(), side: z.enum(['buy', 'sell']).default('buy'), tags: z.array(z.string()).optional() });\nexport const vendored = z;\n",
  );
  writeFileSync(join(dir, 'dist/plain.js'), 'export const one = 1;\n');
  return dir;
}

const sameSchema = z.strictObject({ rate: z.number().positive(), side: z.enum(['buy', 'sell']).default('buy'), tags: z.array(z.string()).optional() });

describe('the build bundles the part of zod the compiled files use', () => {
  it('points the import at one bundled file holding just the members named, and leaves other files alone', async () => {
    const dir = compiledTree();
    await vendorZod(join(dir, 'dist'));
    expect(readFileSync(join(dir, 'dist/src/schema.js'), 'utf8').split('\n')[0]).toBe("import { z } from '../vendor/zod.js';");
    expect(readFileSync(join(dir, 'dist/plain.js'), 'utf8')).toBe('export const one = 1;\n');
    const mod = (await import(pathToFileURL(join(dir, 'dist/src/schema.js')).href)) as { vendored: Record<string, unknown> };
    expect(Object.keys(mod.vendored).sort()).toEqual(['array', 'enum', 'number', 'strictObject', 'string']);
    // Tree-shaken: well under zod's own classic build.
    expect(statSync(join(dir, 'dist/vendor/zod.js')).size).toBeLessThan(400_000);
  });

  it('parses and refuses exactly as zod does, with the same messages', async () => {
    const dir = compiledTree();
    await vendorZod(join(dir, 'dist'));
    const { schema } = (await import(pathToFileURL(join(dir, 'dist/src/schema.js')).href)) as { schema: typeof sameSchema };
    for (const input of [{ rate: 0.5 }, { rate: 2, side: 'sell', tags: ['a'] }, { rate: -1 }, { rate: 'x', side: 'hold' }, { rate: 1, extra: true }, null]) {
      const ours = schema.safeParse(input);
      const theirs = sameSchema.safeParse(input);
      expect(ours.success).toBe(theirs.success);
      if (ours.success && theirs.success) expect(ours.data).toEqual(theirs.data);
      else expect(JSON.parse(JSON.stringify(ours.error?.issues))).toEqual(JSON.parse(JSON.stringify(theirs.error?.issues)));
    }
    expect(schema.safeParse({ rate: -1 }).error?.issues[0]?.message).toBe('Too small: expected number to be >0');
  });
});
