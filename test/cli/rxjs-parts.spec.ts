import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as rxjs from 'rxjs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error the build's helper is plain JavaScript without types
import { importRxjsParts } from '../../scripts/rxjs-parts.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A compiled tree as tsc writes it: a module importing from rxjs, one naming something unknown, one that also counts what Node loaded. */
function compiledTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-rxjs-parts-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  mkdirSync(join(dir, 'dist/streams'), { recursive: true });
  writeFileSync(join(dir, 'dist/streams/uses.js'), "import { BehaviorSubject, Observable, share, Subject } from 'rxjs';\nimport { map } from 'rxjs';\nexport { BehaviorSubject, Observable, share, Subject, map };\n");
  writeFileSync(join(dir, 'dist/unknown.js'), "import { Observable, notAnRxjsName } from 'rxjs';\nexport { Observable, notAnRxjsName };\n");
  writeFileSync(
    join(dir, 'dist/count.js'),
    "import { createRequire } from 'node:module';\nimport { Observable } from 'rxjs';\nimport { Subject } from 'rxjs';\nnew Observable();\nnew Subject();\nconsole.log(Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('rxjs')).length);\n",
  );
  return dir;
}

describe('the build points rxjs imports at the files that define them', () => {
  it('rewrites each name to its own file, in place on one line, and the classes stay rxjs\'s own', async () => {
    const dir = compiledTree();
    importRxjsParts(join(dir, 'dist'));
    const text = readFileSync(join(dir, 'dist/streams/uses.js'), 'utf8');
    expect(text).not.toMatch(/from 'rxjs';/);
    expect(text.split('\n')[0]).toBe(
      "import { BehaviorSubject } from 'rxjs/internal/BehaviorSubject'; import { Observable } from 'rxjs/internal/Observable'; import { share } from 'rxjs/internal/operators/share'; import { Subject } from 'rxjs/internal/Subject';",
    );
    const mod = (await import(pathToFileURL(join(dir, 'dist/streams/uses.js')).href)) as typeof rxjs;
    // Vitest loads rxjs as Node does (the CommonJS build), so the same module instances must come back.
    expect(mod.Observable).toBe(rxjs.Observable);
    expect(mod.Subject).toBe(rxjs.Subject);
    expect(mod.BehaviorSubject).toBe(rxjs.BehaviorSubject);
    expect(mod.share).toBe(rxjs.share);
    expect(mod.map).toBe(rxjs.map);
  });

  it('leaves an import naming anything it cannot place as it was', () => {
    const dir = compiledTree();
    importRxjsParts(join(dir, 'dist'));
    expect(readFileSync(join(dir, 'dist/unknown.js'), 'utf8')).toBe("import { Observable, notAnRxjsName } from 'rxjs';\nexport { Observable, notAnRxjsName };\n");
  });

  it('loads a fraction of rxjs where the index loads all of it', () => {
    const dir = compiledTree();
    const loaded = (): number => Number(execFileSync(process.execPath, [join(dir, 'dist/count.js')], { encoding: 'utf8' }).trim());
    const whole = loaded();
    importRxjsParts(join(dir, 'dist'));
    const parts = loaded();
    expect(whole).toBeGreaterThan(200);
    expect(parts).toBeLessThan(whole / 3);
  });
});
