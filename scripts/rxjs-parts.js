// Used by scripts/build.js on the compiled files (dist/); see importRxjsParts.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * `import { Observable } from 'rxjs'` makes Node load rxjs's CommonJS index, which requires every one of
 * its 300-odd files (120-200 ms, a third of `coinrx backtest`'s start) for the dozen names coinrx uses.
 * In the compiled files only, each such import is pointed at the file that defines the name
 * (`rxjs/internal/Observable`, the module the index itself re-exports, so every class stays the same
 * one); an import naming anything the index does not map that way is left as it is.
 */
export function importRxjsParts(dir) {
  const rxjsRequire = createRequire(import.meta.url);
  const index = readFileSync(rxjsRequire.resolve('rxjs'), 'utf8');
  const files = new Map();
  for (const [, variable, path] of index.matchAll(/var (\w+) = require\("\.\/(internal\/[\w/]+)"\);/g)) files.set(variable, path);
  const source = new Map();
  for (const [, name, variable] of index.matchAll(/Object\.defineProperty\(exports, "(\w+)", \{ enumerable: true, get: function \(\) \{ return (\w+)\.\1; \} \}\);/g)) {
    if (files.has(variable)) source.set(name, `rxjs/${files.get(variable)}`);
  }
  const rewrite = (file) => {
    const text = readFileSync(file, 'utf8');
    const next = text.replace(/^import \{ ([\w, ]+) \} from 'rxjs';$/gm, (whole, names) => {
      const list = names.split(',').map((n) => n.trim());
      if (!list.every((n) => source.has(n))) return whole;
      // On one line, so the source maps still point at the right lines.
      return list.map((n) => `import { ${n} } from '${source.get(n)}';`).join(' ');
    });
    if (next !== text) writeFileSync(file, next);
  };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.js')) rewrite(`${entry.parentPath ?? entry.path}/${entry.name}`);
  }
}
