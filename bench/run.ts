/**
 * `npm run bench -- <name>...` runs the named benchmarks (all when none is named). Each benchmark is
 * `bench/<name>.ts` exporting `run(): Promise<Record<string, unknown>>`; its figures are printed as one
 * JSON line, the last line of its output.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((a) => !available.includes(a));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
  process.exit(2);
}
for (const name of asked.length > 0 ? asked : available) {
  const mod = (await import(pathToFileURL(`${here}/${name}.ts`).href)) as { run: () => Promise<Record<string, unknown>> };
  const figures = await mod.run();
  process.stdout.write(`${JSON.stringify({ bench: name, ...figures })}\n`);
}
