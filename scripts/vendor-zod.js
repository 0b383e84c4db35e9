// Used by scripts/build.js on the compiled files (dist/); see vendorZod.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

const IMPORT = /^import \{ z \} from 'zod';$/m;

/**
 * zod's package is 750 KB that Node parses and runs at every start of a command that reads a
 * configuration (about 90 ms, a fifth of `coinrx backtest`'s way to its first event), for the dozen
 * schema builders coinrx uses. In the compiled files only, `import { z } from 'zod'` is pointed at one
 * file bundled from zod with just the members of `z` the compiled files name (tree-shaken by esbuild:
 * about 200 KB, 30 ms); the classes and messages are zod's own. A member named that zod does not export
 * (a type, such as `z.infer`) is left out; the TypeScript, which the tests run, imports zod itself.
 */
export async function vendorZod(dir) {
  const files = readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => `${entry.parentPath ?? entry.path}/${entry.name}`)
    .filter((file) => IMPORT.test(readFileSync(file, 'utf8')));
  if (files.length === 0) return;
  const { z } = await import('zod');
  const members = new Set();
  for (const file of files) for (const [, name] of readFileSync(file, 'utf8').matchAll(/\bz\s*\.\s*([A-Za-z_$][\w$]*)/g)) if (name in z) members.add(name);
  const names = [...members].sort();
  const contents = `import { ${names.map((n, i) => `${n} as m${i}`).join(', ')} } from 'zod';\nexport const z = { ${names.map((n, i) => `${JSON.stringify(n)}: m${i}`).join(', ')} };\n`;
  const out = `${dir}/vendor/zod.js`;
  mkdirSync(dirname(out), { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({ stdin: { contents, resolveDir: dirname(out) }, bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'warning', legalComments: 'eof' });
  for (const file of files) {
    let path = relative(dirname(file), out);
    if (!path.startsWith('.')) path = `./${path}`;
    writeFileSync(file, readFileSync(file, 'utf8').replace(IMPORT, `import { z } from '${path}';`));
  }
}
